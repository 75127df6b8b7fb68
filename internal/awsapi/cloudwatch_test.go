package awsapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/flowir/flowir/internal/awsapi"
	"github.com/flowir/flowir/internal/awsapi/awstest"
)

// cwServer speaks CloudWatch's Smithy RPC v2 CBOR protocol, which the SDK
// version in go.mod uses: POST /service/GraniteServiceVersion20100801/
// operation/NAME with a CBOR body, answered with CBOR (errors carry
// "__type" and "message").
type cwServer struct {
	*httptest.Server
	mu       sync.Mutex
	alarms   []cbor.Map
	throttle int
	paths    []string
}

func newCWServer(t *testing.T) *cwServer {
	s := &cwServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.paths = append(s.paths, r.URL.Path)
		if r.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" || r.Header.Get("Content-Type") != "application/cbor" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		w.Header().Set("Content-Type", "application/cbor")
		if s.throttle > 0 {
			s.throttle--
			w.Header().Set("X-Amzn-Query-Error", "Throttling;Sender")
			w.WriteHeader(http.StatusBadRequest)
			w.Write(cbor.Encode(cbor.Map{"__type": cbor.String("com.amazonaws.cloudwatch#ThrottlingException"), "message": cbor.String("Rate exceeded")}))
			return
		}
		if r.URL.Path != "/service/GraniteServiceVersion20100801/operation/PutMetricAlarm" {
			w.WriteHeader(http.StatusBadRequest)
			w.Write(cbor.Encode(cbor.Map{"__type": cbor.String("com.amazonaws.cloudwatch#UnknownOperationException"), "message": cbor.String(r.URL.Path)}))
			return
		}
		v, err := cbor.Decode(body)
		m, ok := v.(cbor.Map)
		if err != nil || !ok {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		s.alarms = append(s.alarms, m)
		w.Write(cbor.Encode(cbor.Map{}))
	}))
	t.Cleanup(s.Close)
	return s
}

// plain turns a CBOR value into Go values for comparison.
func plain(v cbor.Value) any {
	switch x := v.(type) {
	case cbor.Map:
		m := map[string]any{}
		for k, e := range x {
			m[k] = plain(e)
		}
		return m
	case cbor.List:
		var l []any
		for _, e := range x {
			l = append(l, plain(e))
		}
		return l
	case cbor.String:
		return string(x)
	case cbor.Uint:
		return float64(x)
	case cbor.Float64:
		return float64(x)
	case cbor.Float32:
		return float64(x)
	case cbor.Bool:
		return bool(x)
	}
	return v
}

func TestCloudWatchPutMetricAlarm(t *testing.T) {
	awstest.Env(t)
	awsapi.RetryBase = time.Millisecond
	srv := newCWServer(t)
	srv.throttle = 1
	cw, err := awsapi.NewCloudWatch(context.Background(), awsapi.Options{EndpointURL: srv.URL, Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	err = cw.PutMetricAlarm(context.Background(), awsapi.MetricAlarm{Name: "a1", Description: "d", Namespace: "AWS/NATGateway", Metric: "BytesOutToDestination",
		DimensionName: "NatGatewayId", DimensionValue: "nat-00000001", Statistic: "Sum", Period: 900, EvaluationPeriods: 1, Threshold: 5000000,
		Comparison: "GreaterThanOrEqualToThreshold", Actions: []string{"arn:aws:sns:eu-west-1:111122223333:ir"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(srv.paths) != 2 || len(srv.alarms) != 1 {
		t.Fatalf("paths %v alarms %d (want a throttled call, then the alarm)", srv.paths, len(srv.alarms))
	}
	got, _ := json.Marshal(plain(srv.alarms[0]))
	want := `{"AlarmActions":["arn:aws:sns:eu-west-1:111122223333:ir"],"AlarmDescription":"d","AlarmName":"a1","ComparisonOperator":"GreaterThanOrEqualToThreshold","Dimensions":[{"Name":"NatGatewayId","Value":"nat-00000001"}],"EvaluationPeriods":1,"MetricName":"BytesOutToDestination","Namespace":"AWS/NATGateway","Period":900,"Statistic":"Sum","Threshold":5000000}`
	if string(got) != want {
		t.Fatalf("alarm\n got %s\nwant %s", got, want)
	}
	srv.throttle = 100
	cw2, _ := awsapi.NewCloudWatch(context.Background(), awsapi.Options{EndpointURL: srv.URL, Region: "eu-west-1", MaxAttempts: 2})
	err = cw2.PutMetricAlarm(context.Background(), awsapi.MetricAlarm{Name: "a2", Namespace: "n", Metric: "m", DimensionName: "d", DimensionValue: "v", Statistic: "Sum", Period: 60, EvaluationPeriods: 1, Comparison: "GreaterThanThreshold"})
	if err == nil || !strings.Contains(err.Error(), "PutMetricAlarm a2 in eu-west-1") {
		t.Fatalf("error %v", err)
	}
}
