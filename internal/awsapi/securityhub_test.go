package awsapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowir/flowir/internal/awsapi"
	"github.com/flowir/flowir/internal/awsapi/awstest"
)

// shServer speaks Security Hub's REST-JSON: POST /findings/import with
// {"Findings": [...]}, answered with counts and the refused findings; errors
// name their type in X-Amzn-ErrorType.
type shServer struct {
	*httptest.Server
	mu       sync.Mutex
	batches  [][]map[string]any
	throttle int
	refuse   string // finding Id to refuse
}

func newSHServer(t *testing.T) *shServer {
	s := &shServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodPost || r.URL.Path != "/findings/import" {
			w.Header().Set("X-Amzn-ErrorType", "InvalidInputException")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"Message":"unexpected %s %s"}`, r.Method, r.URL.Path)
			return
		}
		if s.throttle > 0 {
			s.throttle--
			w.Header().Set("X-Amzn-ErrorType", "LimitExceededException")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"Message":"Rate exceeded","Code":"LimitExceededException"}`)
			return
		}
		var in struct {
			Findings []map[string]any `json:"Findings"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		s.batches = append(s.batches, in.Findings)
		failed := []map[string]string{}
		for _, f := range in.Findings {
			if f["Id"] == s.refuse {
				failed = append(failed, map[string]string{"Id": s.refuse, "ErrorCode": "InvalidInput", "ErrorMessage": "Finding does not adhere to ASFF"})
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"FailedCount": len(failed), "SuccessCount": len(in.Findings) - len(failed), "FailedFindings": failed})
	}))
	t.Cleanup(s.Close)
	return s
}

func TestSecurityHubImportFindings(t *testing.T) {
	awstest.Env(t)
	awsapi.RetryBase = time.Millisecond
	srv := newSHServer(t)
	srv.throttle = 1
	srv.refuse = "flowir/c/7"
	sh, err := awsapi.NewSecurityHub(context.Background(), awsapi.Options{EndpointURL: srv.URL, Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	var findings []json.RawMessage
	for i := 0; i < 205; i++ {
		findings = append(findings, json.RawMessage(fmt.Sprintf(`{"SchemaVersion":"2018-10-08","Id":"flowir/c/%d","ProductArn":"arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default",
			"GeneratorId":"flowir/port-scan","AwsAccountId":"111122223333","Types":["TTPs/Discovery/T1046"],"CreatedAt":"2024-05-01T10:00:00Z","UpdatedAt":"2024-05-01T10:00:00Z",
			"Severity":{"Label":"HIGH"},"Title":"t","Description":"d","Resources":[{"Type":"AwsEc2NetworkInterface","Id":"arn:aws:ec2:eu-west-1:111122223333:network-interface/eni-00000001"}],
			"Network":{"Direction":"IN","SourceIpV4":"198.51.100.7","DestinationPort":22},"ProductFields":{"flowir/detection":"port-scan"}}`, i)))
	}
	res, err := sh.ImportFindings(context.Background(), findings)
	if err != nil {
		t.Fatal(err)
	}
	if res.Calls != 3 || res.Success != 204 || res.Failed != 1 || len(res.Errors) != 1 || !strings.Contains(res.Errors[0], "flowir/c/7: InvalidInput") {
		t.Fatalf("result %+v", res)
	}
	if len(srv.batches) != 3 || len(srv.batches[0]) != 100 || len(srv.batches[2]) != 5 {
		t.Fatalf("batches %d", len(srv.batches))
	}
	f := srv.batches[0][0]
	net, _ := f["Network"].(map[string]any)
	sev, _ := f["Severity"].(map[string]any)
	if f["Id"] != "flowir/c/0" || f["GeneratorId"] != "flowir/port-scan" || sev["Label"] != "HIGH" || net["DestinationPort"] != float64(22) || net["Direction"] != "IN" {
		t.Fatalf("finding as sent: %v", f)
	}
	if _, err := sh.ImportFindings(context.Background(), []json.RawMessage{json.RawMessage(`{"Id":`)}); err == nil || !strings.Contains(err.Error(), "finding 1 is not ASFF JSON") {
		t.Fatalf("bad JSON: %v", err)
	}
}
