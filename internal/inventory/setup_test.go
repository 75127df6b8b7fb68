package inventory

import (
	"strings"
	"testing"

	"github.com/flowir/flowir/internal/flow"
)

func TestFlowLogRequestValidation(t *testing.T) {
	ok := FlowLogOptions{Resources: []string{"vpc-0123456789abcdef0"}, Destination: "arn:aws:s3:::ir-logs/flow-logs/", Traffic: "all", Interval: 60, Format: "all"}
	tests := []struct {
		name   string
		modify func(o *FlowLogOptions)
		err    string
	}{
		{"valid", func(o *FlowLogOptions) {}, ""},
		{"AWSLogs subfolder", func(o *FlowLogOptions) { o.Destination = "arn:aws:s3:::ir-logs/AWSLogs/" }, "AWSLogs cannot be used as a subfolder"},
		{"AWSLogs subfolder without slash", func(o *FlowLogOptions) { o.Destination = "arn:aws:s3:::ir-logs/AWSLogs" }, "AWSLogs cannot be used"},
		{"AWSLogs deeper", func(o *FlowLogOptions) { o.Destination = "arn:aws:s3:::ir-logs/prod/AWSLogs" }, "AWSLogs cannot be used"},
		{"awslogs lower case", func(o *FlowLogOptions) { o.Destination = "arn:aws:s3:::ir-logs/awslogs/" }, "AWSLogs cannot be used"},
		{"bucket named awslogs is fine", func(o *FlowLogOptions) { o.Destination = "arn:aws:s3:::awslogs-central" }, ""},
		{"no subfolder", func(o *FlowLogOptions) { o.Destination = "arn:aws:s3:::ir-logs" }, ""},
		{"s3 URL", func(o *FlowLogOptions) { o.Destination = "s3://ir-logs/x" }, "is an S3 URL, not an ARN"},
		{"malformed ARN", func(o *FlowLogOptions) { o.Destination = "arn:aws:s3::ir-logs" }, "not an S3 bucket ARN"},
		{"bad bucket", func(o *FlowLogOptions) { o.Destination = "arn:aws:s3:::IR_Logs" }, "not a valid S3 bucket name"},
		{"IP bucket", func(o *FlowLogOptions) { o.Destination = "arn:aws:s3:::192.168.1.1" }, "not a valid S3 bucket name"},
		{"CloudWatch ARN", func(o *FlowLogOptions) { o.Destination = "arn:aws:logs:us-east-1:123456789012:log-group:x" }, "not an S3 bucket ARN"},
		{"unknown field", func(o *FlowLogOptions) { o.Format = "${version} ${srcaddr} ${src-country}" }, "unknown field(s) src-country"},
		{"TGW field", func(o *FlowLogOptions) { o.Format = "${version} ${tgw-id}" }, "Transit Gateway"},
		{"bad format token", func(o *FlowLogOptions) { o.Format = "${version" }, "--format"},
		{"mixed resources", func(o *FlowLogOptions) { o.Resources = []string{"vpc-0123456789abcdef0", "subnet-01234567"} }, "resources of one type"},
		{"bad resource", func(o *FlowLogOptions) { o.Resources = []string{"i-0123456789abcdef0"} }, "expected a VPC"},
		{"bad traffic", func(o *FlowLogOptions) { o.Traffic = "SOME" }, "ALL, ACCEPT or REJECT"},
		{"bad interval", func(o *FlowLogOptions) { o.Interval = 300 }, "60 or 600"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := ok
			tc.modify(&o)
			_, err := NewFlowLogRequest(o)
			if tc.err == "" && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("error %v, want %q", err, tc.err)
			}
		})
	}
}

func TestFlowLogRequestCLI(t *testing.T) {
	r, err := NewFlowLogRequest(FlowLogOptions{Resources: []string{"subnet-01234567"}, Destination: "arn:aws:s3:::ir-logs/vpc/", Traffic: "REJECT", Interval: 600, Format: "${version} ${srcaddr} ${dstaddr}", Parquet: true, Hive: true})
	if err != nil {
		t.Fatal(err)
	}
	got := ShellLine(r.CLI("eu-west-1", "ir"))
	want := "aws ec2 create-flow-logs --resource-type Subnet --resource-ids subnet-01234567 --traffic-type REJECT --log-destination-type s3 --log-destination arn:aws:s3:::ir-logs/vpc/ --max-aggregation-interval 600 --log-format '${version} ${srcaddr} ${dstaddr}' --destination-options FileFormat=parquet,HiveCompatiblePartitions=true,PerHourPartition=false --region eu-west-1 --profile ir"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	all, _ := NewFlowLogRequest(FlowLogOptions{Resources: []string{"eni-01234567"}, Destination: "arn:aws:s3:::b-1", Interval: 60, Format: "all"})
	if all.LogFormat != flow.AllVPCFormat().String() || !strings.HasPrefix(all.LogFormat, "${version} ${account-id} ${interface-id}") || !strings.HasSuffix(all.LogFormat, "${reject-reason}") {
		t.Fatalf("all = %s", all.LogFormat)
	}
	def, _ := NewFlowLogRequest(FlowLogOptions{Resources: []string{"eni-01234567"}, Destination: "arn:aws:s3:::b-1", Interval: 60, Format: "default"})
	if def.LogFormat != "" || strings.Contains(ShellLine(def.CLI("", "")), "--log-format") {
		t.Fatalf("default format should omit --log-format: %v", def.CLI("", ""))
	}
}

func TestNATAlarms(t *testing.T) {
	as := NATAlarms("nat-0123456789abcdef0", "arn:aws:sns:eu-west-1:123456789012:ir")
	if len(as) != 2 {
		t.Fatalf("%d alarms", len(as))
	}
	b, e := as[0], as[1]
	if b.Metric != "BytesOutToDestination" || b.Statistic != "Sum" || b.Period != 900 || b.Threshold != 5000000 || b.EvaluationPeriods != 1 || b.Comparison != "GreaterThanOrEqualToThreshold" {
		t.Errorf("BytesOutToDestination alarm %+v", b)
	}
	if e.Metric != "ErrorPortAllocation" || e.Statistic != "Maximum" || e.Period != 300 || e.Threshold != 0 || e.EvaluationPeriods != 3 || e.Comparison != "GreaterThanThreshold" {
		t.Errorf("ErrorPortAllocation alarm %+v", e)
	}
	line := ShellLine(b.CLI("eu-west-1", ""))
	for _, want := range []string{"aws cloudwatch put-metric-alarm", "--namespace AWS/NATGateway", "--metric-name BytesOutToDestination",
		"--dimensions Name=NatGatewayId,Value=nat-0123456789abcdef0", "--statistic Sum", "--period 900", "--evaluation-periods 1",
		"--threshold 5000000 ", "--comparison-operator GreaterThanOrEqualToThreshold", "--alarm-actions arn:aws:sns:eu-west-1:123456789012:ir", "--region eu-west-1"} {
		if !strings.Contains(line, want) {
			t.Errorf("%s\nlacks %q", line, want)
		}
	}
	line = ShellLine(e.CLI("", ""))
	for _, want := range []string{"--statistic Maximum", "--period 300", "--evaluation-periods 3", "--threshold 0 ", "--comparison-operator GreaterThanThreshold"} {
		if !strings.Contains(line, want) {
			t.Errorf("%s\nlacks %q", line, want)
		}
	}
	if ValidateNATGatewayID("nat-123") == nil || ValidateNATGatewayID("nat-0123456789abcdef0") != nil {
		t.Error("NAT gateway id validation")
	}
	if ValidateSNSTopic("arn:aws:sns:eu-west-1:123:x") == nil || ValidateSNSTopic("arn:aws:sns:eu-west-1:123456789012:ir-alerts") != nil {
		t.Error("SNS topic validation")
	}
}

func TestShellLine(t *testing.T) {
	got := ShellLine([]string{"aws", "a b", "it's", "", "${x}"})
	if got != `aws 'a b' 'it'\''s' '' '${x}'` {
		t.Fatal(got)
	}
}
