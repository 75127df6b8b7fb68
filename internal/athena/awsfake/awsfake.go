// Package awsfake holds loopback servers that speak the real wire protocols
// of the AWS calls flowir's Athena path makes, for tests: Amazon Athena's
// JSON 1.1 protocol (StartQueryExecution, GetQueryExecution,
// GetQueryResults, StopQueryExecution) and the EC2 query protocol with XML
// answers for DescribeFlowLogs. The AWS SDK is the client; nothing is
// mocked on its side.
//
// What a query returns is up to the test: an Executor receives the SQL and
// its execution parameters and returns columns and rows. awsapi's tests
// give canned rows; internal/cli's tests give an executor that runs the SQL
// on a DuckDB case, so real rows come back. That split keeps the
// architecture's rule: this package imports neither the SDK nor DuckDB, so
// awsapi (the SDK's package) never imports DuckDB and store never imports
// the SDK, even in tests.
package awsfake

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Column is a result column as Athena describes it.
type Column struct {
	Name string
	Type string
}

// Answer is what an Executor returns for one query.
type Answer struct {
	Columns []Column
	Rows    [][]*string
	// Scanned is reported as DataScannedInBytes.
	Scanned int64
	// Fail, when set, makes the query end FAILED with this reason.
	Fail string
	// Polls is the number of GetQueryExecution calls that see QUEUED or
	// RUNNING before the final state.
	Polls int
	// Hang keeps the query RUNNING until StopQueryExecution.
	Hang bool
}

// Executor runs one query.
type Executor func(sql string, params []string) Answer

// Request is one StartQueryExecution as received.
type Request struct {
	SQL            string
	Params         []string
	WorkGroup      string
	Database       string
	Catalog        string
	OutputLocation string
	Token          string
}

type query struct {
	req     Request
	ans     Answer
	polls   int
	state   string
	reason  string
	stopped bool
}

// Athena is a fake Athena endpoint.
type Athena struct {
	*httptest.Server
	Exec Executor
	// PageSize caps rows per GetQueryResults page (Athena's is 1000,
	// header row included on the first page); tests set it small to force
	// paging.
	PageSize int

	mu      sync.Mutex
	queries map[string]*query
	order   []string
	// Calls counts requests by operation.
	calls map[string]int
}

// NewAthena starts a fake Athena on loopback.
func NewAthena(exec Executor) *Athena {
	a := &Athena{Exec: exec, PageSize: 1000, queries: map[string]*query{}, calls: map[string]int{}}
	a.Server = httptest.NewServer(http.HandlerFunc(a.serve))
	return a
}

// Calls returns how many times an operation was called.
func (a *Athena) Calls(op string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[op]
}

// Requests returns the StartQueryExecution requests received, in order.
func (a *Athena) Requests() []Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []Request
	for _, id := range a.order {
		out = append(out, a.queries[id].req)
	}
	return out
}

func jsonError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": typ, "Message": msg})
}

func (a *Athena) serve(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, "AmazonAthena.")
	if r.Method != http.MethodPost || !ok {
		jsonError(w, 400, "UnknownOperationException", "expected POST with X-Amz-Target AmazonAthena.*, got "+r.Method+" "+target)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		jsonError(w, 400, "SerializationException", "Content-Type "+ct)
		return
	}
	if !strings.Contains(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256") {
		jsonError(w, 403, "UnrecognizedClientException", "request not signed")
		return
	}
	var body map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		jsonError(w, 400, "SerializationException", err.Error())
		return
	}
	str := func(k string) string {
		var s string
		json.Unmarshal(body[k], &s)
		return s
	}
	a.mu.Lock()
	a.calls[op]++
	a.mu.Unlock()
	var resp any
	switch op {
	case "StartQueryExecution":
		req := Request{SQL: str("QueryString"), WorkGroup: str("WorkGroup"), Token: str("ClientRequestToken")}
		json.Unmarshal(body["ExecutionParameters"], &req.Params)
		var qec struct{ Database, Catalog string }
		json.Unmarshal(body["QueryExecutionContext"], &qec)
		req.Database, req.Catalog = qec.Database, qec.Catalog
		var rc struct{ OutputLocation string }
		json.Unmarshal(body["ResultConfiguration"], &rc)
		req.OutputLocation = rc.OutputLocation
		if req.SQL == "" {
			jsonError(w, 400, "InvalidRequestException", "QueryString is required")
			return
		}
		ans := a.Exec(req.SQL, req.Params)
		a.mu.Lock()
		id := fmt.Sprintf("00000000-0000-4000-8000-%012d", len(a.order)+1)
		a.queries[id] = &query{req: req, ans: ans, state: "QUEUED"}
		a.order = append(a.order, id)
		a.mu.Unlock()
		resp = map[string]string{"QueryExecutionId": id}
	case "GetQueryExecution":
		a.mu.Lock()
		q := a.queries[str("QueryExecutionId")]
		if q == nil {
			a.mu.Unlock()
			jsonError(w, 400, "InvalidRequestException", "QueryExecution "+str("QueryExecutionId")+" was not found")
			return
		}
		q.advance()
		resp = map[string]any{"QueryExecution": q.describe(str("QueryExecutionId"))}
		a.mu.Unlock()
	case "GetQueryResults":
		a.mu.Lock()
		q := a.queries[str("QueryExecutionId")]
		a.mu.Unlock()
		if q == nil || q.state != "SUCCEEDED" {
			jsonError(w, 400, "InvalidRequestException", "Query has not yet finished. Current state: RUNNING")
			return
		}
		var max int
		json.Unmarshal(body["MaxResults"], &max)
		if max <= 0 || max > a.PageSize {
			max = a.PageSize
		}
		start := 0
		if t := str("NextToken"); t != "" {
			n, err := strconv.Atoi(t)
			if err != nil {
				jsonError(w, 400, "InvalidRequestException", "bad NextToken")
				return
			}
			start = n
		}
		resp = q.page(start, max)
	case "StopQueryExecution":
		a.mu.Lock()
		q := a.queries[str("QueryExecutionId")]
		if q != nil && (q.state == "QUEUED" || q.state == "RUNNING") {
			q.state, q.reason, q.stopped = "CANCELLED", "Query cancelled by user", true
		}
		a.mu.Unlock()
		resp = map[string]any{}
	default:
		jsonError(w, 400, "UnknownOperationException", op)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(resp)
}

func (q *query) advance() {
	if q.state != "QUEUED" && q.state != "RUNNING" {
		return
	}
	q.polls++
	if q.ans.Hang || q.polls <= q.ans.Polls {
		if q.polls > 1 {
			q.state = "RUNNING"
		}
		return
	}
	if q.ans.Fail != "" {
		q.state, q.reason = "FAILED", q.ans.Fail
		return
	}
	q.state = "SUCCEEDED"
}

func (q *query) describe(id string) map[string]any {
	st := map[string]any{"State": q.state, "SubmissionDateTime": float64(time.Now().Unix())}
	if q.reason != "" {
		st["StateChangeReason"] = q.reason
	}
	if q.state == "FAILED" {
		st["AthenaError"] = map[string]any{"ErrorCategory": 2, "ErrorType": 1301, "Retryable": false, "ErrorMessage": q.reason}
	}
	typ := "DML"
	if u := strings.ToUpper(strings.TrimSpace(q.req.SQL)); strings.HasPrefix(u, "CREATE") || strings.HasPrefix(u, "DROP") || strings.HasPrefix(u, "ALTER") {
		typ = "DDL"
	}
	out := q.req.OutputLocation
	if out == "" {
		out = "s3://workgroup-results/"
	}
	qe := map[string]any{
		"QueryExecutionId":      id,
		"Query":                 q.req.SQL,
		"StatementType":         typ,
		"Status":                st,
		"ResultConfiguration":   map[string]any{"OutputLocation": out + id + ".csv"},
		"QueryExecutionContext": map[string]any{"Database": q.req.Database, "Catalog": "AwsDataCatalog"},
		"WorkGroup":             q.req.WorkGroup,
		"Statistics": map[string]any{
			"DataScannedInBytes":          q.ans.Scanned,
			"EngineExecutionTimeInMillis": 1234,
		},
	}
	if len(q.req.Params) > 0 {
		qe["ExecutionParameters"] = q.req.Params
	}
	return qe
}

// page returns rows [start, start+max) of the result, counting Athena's
// header row (column labels, first row of a DML result) as row 0.
func (q *query) page(start, max int) map[string]any {
	var all [][]*string
	dml := q.describe("")["StatementType"] == "DML"
	if dml {
		hdr := make([]*string, len(q.ans.Columns))
		for i, c := range q.ans.Columns {
			hdr[i] = &c.Name
		}
		all = append(all, hdr)
	}
	all = append(all, q.ans.Rows...)
	end := min(start+max, len(all))
	var rows []map[string]any
	for _, r := range all[start:end] {
		data := make([]map[string]string, len(r))
		for i, v := range r {
			data[i] = map[string]string{}
			if v != nil {
				data[i]["VarCharValue"] = *v
			}
		}
		rows = append(rows, map[string]any{"Data": data})
	}
	var info []map[string]any
	for _, c := range q.ans.Columns {
		info = append(info, map[string]any{"CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": c.Name, "Label": c.Name,
			"Type": c.Type, "Precision": 0, "Scale": 0, "Nullable": "UNKNOWN", "CaseSensitive": c.Type == "varchar"})
	}
	resp := map[string]any{"UpdateCount": 0, "ResultSet": map[string]any{"Rows": rows, "ResultSetMetadata": map[string]any{"ColumnInfo": info}}}
	if end < len(all) {
		resp["NextToken"] = strconv.Itoa(end)
	}
	return resp
}

// FlowLog is one flow log DescribeFlowLogs returns.
type FlowLog struct {
	ID, LogFormat, Destination, DestinationType, ResourceID string
	FileFormat                                              string // plain-text or parquet
	Hive, PerHour                                           bool
}

// EC2 is a fake EC2 endpoint answering DescribeFlowLogs.
type EC2 struct {
	*httptest.Server
	mu       sync.Mutex
	FlowLogs []FlowLog
	// Seen is the last request's form.
	Seen map[string][]string
}

// NewEC2 starts a fake EC2 on loopback.
func NewEC2(fl ...FlowLog) *EC2 {
	e := &EC2{FlowLogs: fl}
	e.Server = httptest.NewServer(http.HandlerFunc(e.serve))
	return e
}

type ec2Error struct {
	XMLName xml.Name `xml:"Response"`
	Code    string   `xml:"Errors>Error>Code"`
	Message string   `xml:"Errors>Error>Message"`
	ID      string   `xml:"RequestID"`
}

func (e *EC2) serve(w http.ResponseWriter, r *http.Request) {
	fail := func(code, msg string) {
		w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
		w.WriteHeader(400)
		xml.NewEncoder(w).Encode(ec2Error{Code: code, Message: msg, ID: "req-1"})
	}
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
		fail("InvalidRequest", "expected a POST form")
		return
	}
	e.mu.Lock()
	e.Seen = r.PostForm
	e.mu.Unlock()
	if r.PostForm.Get("Action") != "DescribeFlowLogs" || r.PostForm.Get("Version") == "" {
		fail("InvalidAction", "The action "+r.PostForm.Get("Action")+" is not valid for this web service.")
		return
	}
	want := map[string]bool{}
	for k, v := range r.PostForm {
		if strings.HasPrefix(k, "FlowLogId.") {
			want[v[0]] = true
		}
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<DescribeFlowLogsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>req-1</requestId><flowLogSet>`)
	// An id that matches nothing gives an empty set, not an error.
	for _, f := range e.FlowLogs {
		if len(want) > 0 && !want[f.ID] {
			continue
		}
		esc := func(s string) string {
			var x strings.Builder
			xml.EscapeText(&x, []byte(s))
			return x.String()
		}
		fmt.Fprintf(&b, `<item><creationTime>2024-01-15T10:00:00.000Z</creationTime><deliverLogsStatus>SUCCESS</deliverLogsStatus>`+
			`<flowLogId>%s</flowLogId><flowLogStatus>ACTIVE</flowLogStatus><logDestinationType>%s</logDestinationType>`+
			`<logDestination>%s</logDestination><logFormat>%s</logFormat><resourceId>%s</resourceId><trafficType>ALL</trafficType>`+
			`<maxAggregationInterval>600</maxAggregationInterval><destinationOptions><fileFormat>%s</fileFormat>`+
			`<hiveCompatiblePartitions>%t</hiveCompatiblePartitions><perHourPartition>%t</perHourPartition></destinationOptions></item>`,
			esc(f.ID), esc(f.DestinationType), esc(f.Destination), esc(f.LogFormat), esc(f.ResourceID), esc(f.FileFormat), f.Hive, f.PerHour)
	}
	b.WriteString(`</flowLogSet></DescribeFlowLogsResponse>`)
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Write([]byte(b.String()))
}
