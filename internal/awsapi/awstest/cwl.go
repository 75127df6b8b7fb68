package awstest

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// LogEvent is one event held by a CWLServer.
type LogEvent struct {
	Timestamp     int64 // ms
	IngestionTime int64 // ms
	Message       string
}

// FlowLog is a flow log DescribeFlowLogs reports.
type FlowLog struct {
	ID, LogGroup, LogFormat string
}

// CWLServer speaks the CloudWatch Logs JSON 1.1 protocol
// (X-Amz-Target: Logs_20140328.DescribeLogStreams and .FilterLogEvents)
// and, on the same address, EC2's query protocol for DescribeFlowLogs, so
// one --endpoint-url serves both, as the SDK sends both to it.
type CWLServer struct {
	URL string
	// PageSize is how many events a FilterLogEvents page holds (default
	// 3); every first page of a search is empty but for its token, as
	// CloudWatch Logs may answer while it searches.
	PageSize int

	mu       sync.Mutex
	groups   map[string]map[string][]LogEvent
	flowLogs []FlowLog
	calls    []string
}

// NewCWLServer starts a server; it is closed when the test ends.
func NewCWLServer(t testing.TB) *CWLServer {
	s := &CWLServer{PageSize: 3, groups: map[string]map[string][]LogEvent{}}
	ts := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(ts.Close)
	s.URL = ts.URL
	return s
}

// AddEvents appends events to a stream (creating the group and stream).
func (s *CWLServer) AddEvents(group, stream string, evs ...LogEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.groups[group] == nil {
		s.groups[group] = map[string][]LogEvent{}
	}
	s.groups[group][stream] = append(s.groups[group][stream], evs...)
	sort.SliceStable(s.groups[group][stream], func(i, j int) bool {
		return s.groups[group][stream][i].Timestamp < s.groups[group][stream][j].Timestamp
	})
}

// Expire removes the events older than ms from every stream of a group,
// as a retention setting does.
func (s *CWLServer) Expire(group string, ms int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, evs := range s.groups[group] {
		var keep []LogEvent
		for _, e := range evs {
			if e.Timestamp >= ms {
				keep = append(keep, e)
			}
		}
		s.groups[group][name] = keep
	}
}

// SetFlowLogs sets what DescribeFlowLogs knows.
func (s *CWLServer) SetFlowLogs(fl ...FlowLog) {
	s.mu.Lock()
	s.flowLogs = fl
	s.mu.Unlock()
}

// Calls returns the operations called so far and forgets them.
func (s *CWLServer) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calls
	s.calls = nil
	return c
}

func jsonErr(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Errortype", typ)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}

func (s *CWLServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	target := r.Header.Get("X-Amz-Target")
	if target == "" {
		s.ec2(w, body)
		return
	}
	op := strings.TrimPrefix(target, "Logs_20140328.")
	s.mu.Lock()
	s.calls = append(s.calls, op)
	defer s.mu.Unlock()
	var in struct {
		LogGroupName        string   `json:"logGroupName"`
		LogStreamNamePrefix string   `json:"logStreamNamePrefix"`
		LogStreamNames      []string `json:"logStreamNames"`
		StartTime           *int64   `json:"startTime"`
		EndTime             *int64   `json:"endTime"`
		NextToken           string   `json:"nextToken"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		jsonErr(w, 400, "SerializationException", err.Error())
		return
	}
	streams, ok := s.groups[in.LogGroupName]
	if !ok {
		jsonErr(w, 400, "ResourceNotFoundException", "The specified log group does not exist.")
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	switch op {
	case "DescribeLogStreams":
		var names []string
		for n := range streams {
			if strings.HasPrefix(n, in.LogStreamNamePrefix) {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		// Two streams per page, to exercise paging.
		start, _ := strconv.Atoi(in.NextToken)
		out := map[string]any{}
		var list []map[string]any
		for i := start; i < len(names) && i < start+2; i++ {
			m := map[string]any{"logStreamName": names[i], "storedBytes": 0}
			if evs := streams[names[i]]; len(evs) > 0 {
				m["firstEventTimestamp"] = evs[0].Timestamp
				m["lastEventTimestamp"] = evs[len(evs)-1].Timestamp
			}
			list = append(list, m)
		}
		out["logStreams"] = list
		if start+2 < len(names) {
			out["nextToken"] = strconv.Itoa(start + 2)
		}
		json.NewEncoder(w).Encode(out)
	case "FilterLogEvents":
		type ev struct {
			Stream    string `json:"logStreamName"`
			Timestamp int64  `json:"timestamp"`
			Ingestion int64  `json:"ingestionTime"`
			Message   string `json:"message"`
			ID        string `json:"eventId"`
		}
		var all []ev
		for _, n := range in.LogStreamNames {
			for i, e := range streams[n] {
				if in.StartTime != nil && e.Timestamp < *in.StartTime || in.EndTime != nil && e.Timestamp > *in.EndTime {
					continue
				}
				all = append(all, ev{n, e.Timestamp, e.IngestionTime, e.Message, fmt.Sprintf("%s-%d", n, i)})
			}
		}
		out := map[string]any{"searchedLogStreams": []any{}}
		page := []ev{}
		if in.NextToken == "" {
			if len(all) > 0 {
				out["nextToken"] = "0" // an empty first page
			}
		} else {
			start, _ := strconv.Atoi(in.NextToken)
			end := min(start+s.PageSize, len(all))
			page = all[start:end]
			if end < len(all) {
				out["nextToken"] = strconv.Itoa(end)
			}
		}
		out["events"] = page
		json.NewEncoder(w).Encode(out)
	default:
		jsonErr(w, 400, "UnknownOperationException", op)
	}
}

// ec2 answers DescribeFlowLogs with the log-group-name filter.
func (s *CWLServer) ec2(w http.ResponseWriter, body []byte) {
	form, _ := url.ParseQuery(string(body))
	s.mu.Lock()
	s.calls = append(s.calls, form.Get("Action"))
	fls := s.flowLogs
	s.mu.Unlock()
	if form.Get("Action") != "DescribeFlowLogs" {
		w.WriteHeader(400)
		return
	}
	want := map[string]bool{}
	for i := 1; form.Has(fmt.Sprintf("Filter.%d.Name", i)); i++ {
		if form.Get(fmt.Sprintf("Filter.%d.Name", i)) == "log-group-name" {
			for j := 1; form.Has(fmt.Sprintf("Filter.%d.Value.%d", i, j)); j++ {
				want[form.Get(fmt.Sprintf("Filter.%d.Value.%d", i, j))] = true
			}
		}
	}
	esc := func(v string) string {
		var b strings.Builder
		xml.EscapeText(&b, []byte(v))
		return b.String()
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><DescribeFlowLogsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><flowLogSet>`)
	for _, f := range fls {
		if len(want) > 0 && !want[f.LogGroup] {
			continue
		}
		fmt.Fprintf(&b, `<item><flowLogId>%s</flowLogId><logGroupName>%s</logGroupName><logFormat>%s</logFormat><logDestinationType>cloud-watch-logs</logDestinationType><resourceId>vpc-0abc</resourceId></item>`,
			esc(f.ID), esc(f.LogGroup), esc(f.LogFormat))
	}
	b.WriteString(`</flowLogSet></DescribeFlowLogsResponse>`)
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Write([]byte(b.String()))
}
