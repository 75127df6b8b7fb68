package inventory

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/flowir/flowir/internal/flow"
)

// FlowLogRequest is a validated CreateFlowLogs request for S3 delivery.
type FlowLogRequest struct {
	ResourceType string   // VPC, Subnet or NetworkInterface
	ResourceIDs  []string // all of that type
	Destination  string   // arn:aws:s3:::bucket[/subfolder/]
	TrafficType  string   // ALL, ACCEPT or REJECT
	Interval     int      // 60 or 600
	LogFormat    string   // "" for AWS's default format
	FileFormat   string   // plain-text or parquet
	Hive         bool
	PerHour      bool
}

var (
	resourceID = regexp.MustCompile(`^(vpc|subnet|eni)-([0-9a-f]{8}|[0-9a-f]{17})$`)
	// S3 bucket names: 3-63 lower-case letters, digits, dots and hyphens,
	// starting and ending with a letter or digit.
	bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	ipLike     = regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`)
)

// FlowLogOptions are the user's choices for `flowir setup flow-logs`.
type FlowLogOptions struct {
	Resources   []string
	Destination string
	Traffic     string // ALL, ACCEPT, REJECT (any case)
	Interval    int    // 60 or 600
	Format      string // default, all, or '${field} ...'
	Parquet     bool
	Hive        bool
	Hourly      bool
}

// NewFlowLogRequest validates the options the way the console would, and as
// the playbook warns: resource ids of one type, an S3 bucket ARN whose
// subfolder is not AWSLogs, a known traffic type and interval, and a format
// whose fields all exist in VPC flow logs. "all" is every VPC field of the
// current version in flowir's recommended order (flow.AllVPCFormat).
func NewFlowLogRequest(o FlowLogOptions) (*FlowLogRequest, error) {
	r := &FlowLogRequest{FileFormat: "plain-text", Hive: o.Hive, PerHour: o.Hourly}
	if len(o.Resources) == 0 {
		return nil, fmt.Errorf("--resource is required: a vpc-..., subnet-... or eni-... id")
	}
	for _, id := range o.Resources {
		m := resourceID.FindStringSubmatch(id)
		if m == nil {
			return nil, fmt.Errorf("--resource %q: expected a VPC (vpc-...), subnet (subnet-...) or network interface (eni-...) id with 8 or 17 hex digits", id)
		}
		t := map[string]string{"vpc": "VPC", "subnet": "Subnet", "eni": "NetworkInterface"}[m[1]]
		if r.ResourceType != "" && r.ResourceType != t {
			return nil, fmt.Errorf("--resource: %s and %s ids in one request; CreateFlowLogs takes resources of one type: run the command once per type", r.ResourceType, t)
		}
		r.ResourceType = t
		r.ResourceIDs = append(r.ResourceIDs, id)
	}
	dest, err := ValidateS3Destination(o.Destination)
	if err != nil {
		return nil, err
	}
	r.Destination = dest
	switch t := strings.ToUpper(o.Traffic); t {
	case "", "ALL":
		r.TrafficType = "ALL"
	case "ACCEPT", "REJECT":
		r.TrafficType = t
	default:
		return nil, fmt.Errorf("--traffic %q: ALL, ACCEPT or REJECT (ALL records both; a REJECT-only log cannot show what was allowed)", o.Traffic)
	}
	switch o.Interval {
	case 60, 600:
		r.Interval = o.Interval
	default:
		return nil, fmt.Errorf("--interval %d: the maximum aggregation interval is 60 or 600 seconds (60 gives finer timing)", o.Interval)
	}
	switch f := strings.TrimSpace(o.Format); strings.ToLower(f) {
	case "", "default":
		r.LogFormat = ""
	case "all":
		r.LogFormat = flow.AllVPCFormat().String()
	default:
		ff, err := flow.ParseFormat(f)
		if err != nil {
			return nil, fmt.Errorf("--format: %v", err)
		}
		if u := ff.Unknown(); len(u) > 0 {
			return nil, fmt.Errorf("--format: unknown field(s) %s: VPC flow logs have no such field (see 'flowir setup flow-logs --help' for --format all)", strings.Join(u, ", "))
		}
		for _, c := range ff.Cols {
			if !flow.Get(c.ID).VPC {
				return nil, fmt.Errorf("--format: %s is a Transit Gateway flow log field; VPC, subnet and interface flow logs cannot record it", c.Name)
			}
		}
		r.LogFormat = ff.String()
	}
	if o.Parquet {
		r.FileFormat = "parquet"
	}
	return r, nil
}

// ValidateS3Destination checks an S3 destination ARN the way CreateFlowLogs
// does and returns it unchanged: arn:PARTITION:s3:::bucket with an optional
// subfolder, which may not be AWSLogs (AWS puts its own AWSLogs/ prefix after
// the subfolder and refuses the name).
func ValidateS3Destination(arn string) (string, error) {
	const how = "expected arn:aws:s3:::bucket or arn:aws:s3:::bucket/subfolder/"
	if arn == "" {
		return "", fmt.Errorf("--destination is required: an S3 bucket ARN (%s)", how)
	}
	var rest string
	ok := false
	for _, p := range []string{"arn:aws:s3:::", "arn:aws-cn:s3:::", "arn:aws-us-gov:s3:::"} {
		if rest, ok = strings.CutPrefix(arn, p); ok {
			break
		}
	}
	if !ok {
		if strings.HasPrefix(arn, "s3://") {
			return "", fmt.Errorf("--destination %q is an S3 URL, not an ARN: write arn:aws:s3:::%s", arn, strings.TrimPrefix(arn, "s3://"))
		}
		return "", fmt.Errorf("--destination %q is not an S3 bucket ARN: %s", arn, how)
	}
	bucket, sub, _ := strings.Cut(rest, "/")
	if !bucketName.MatchString(bucket) || strings.Contains(bucket, "..") || ipLike.MatchString(bucket) {
		return "", fmt.Errorf("--destination %q: %q is not a valid S3 bucket name (3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit)", arn, bucket)
	}
	for _, seg := range strings.Split(sub, "/") {
		if strings.EqualFold(seg, "AWSLogs") {
			return "", fmt.Errorf("--destination %q: AWSLogs cannot be used as a subfolder name: it is reserved (AWS writes AWSLogs/ after your subfolder itself); choose another name such as arn:aws:s3:::%s/flow-logs/", arn, bucket)
		}
		if strings.TrimSpace(seg) != seg {
			return "", fmt.Errorf("--destination %q: a subfolder name has leading or trailing spaces", arn)
		}
	}
	if strings.Contains(strings.TrimSuffix(sub, "/"), "//") {
		return "", fmt.Errorf("--destination %q: empty subfolder name (//)", arn)
	}
	return arn, nil
}

// CLI returns the equivalent `aws ec2 create-flow-logs` command, argument by
// argument.
func (r *FlowLogRequest) CLI(region, profile string) []string {
	args := []string{"aws", "ec2", "create-flow-logs",
		"--resource-type", r.ResourceType, "--resource-ids"}
	args = append(args, r.ResourceIDs...)
	args = append(args, "--traffic-type", r.TrafficType,
		"--log-destination-type", "s3", "--log-destination", r.Destination,
		"--max-aggregation-interval", strconv.Itoa(r.Interval))
	if r.LogFormat != "" {
		args = append(args, "--log-format", r.LogFormat)
	}
	args = append(args, "--destination-options", fmt.Sprintf("FileFormat=%s,HiveCompatiblePartitions=%t,PerHourPartition=%t", r.FileFormat, r.Hive, r.PerHour))
	return appendTarget(args, region, profile)
}

func appendTarget(args []string, region, profile string) []string {
	if region != "" {
		args = append(args, "--region", region)
	}
	if profile != "" {
		args = append(args, "--profile", profile)
	}
	return args
}

// AlarmSpec is one CloudWatch metric alarm.
type AlarmSpec struct {
	Name              string
	Description       string
	Namespace         string
	Metric            string
	DimensionName     string
	DimensionValue    string
	Statistic         string // Sum, Maximum, ...
	Period            int    // seconds
	EvaluationPeriods int
	Threshold         float64
	Comparison        string // GreaterThanOrEqualToThreshold, GreaterThanThreshold
	Actions           []string
}

var (
	natID    = regexp.MustCompile(`^nat-([0-9a-f]{8}|[0-9a-f]{17})$`)
	snsTopic = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`)
)

// ValidateNATGatewayID checks the form of a NAT gateway id.
func ValidateNATGatewayID(id string) error {
	if !natID.MatchString(id) {
		return fmt.Errorf("--nat-gateway %q: expected a NAT gateway id, nat- and 8 or 17 hex digits", id)
	}
	return nil
}

// ValidateSNSTopic checks the form of an SNS topic ARN.
func ValidateSNSTopic(arn string) error {
	if arn != "" && !snsTopic.MatchString(arn) {
		return fmt.Errorf("--sns-topic %q: expected an SNS topic ARN, arn:aws:sns:REGION:ACCOUNT:NAME", arn)
	}
	return nil
}

// NATAlarms returns the playbook's two alarms for one NAT gateway, exactly as
// the playbook sets them in the console:
//
//   - BytesOutToDestination, statistic Sum over 15 minutes (900 s),
//     >= 5,000,000 bytes, 1 consecutive period: volume leaving through the
//     NAT gateway (exfiltration);
//   - ErrorPortAllocation, statistic Maximum over 5 minutes (300 s), > 0,
//     3 consecutive periods: the NAT gateway ran out of source ports (a scan
//     or flood from behind it).
//
// snsTopic, when given, is the alarm action.
func NATAlarms(natGatewayID, snsTopic string) []AlarmSpec {
	var actions []string
	if snsTopic != "" {
		actions = []string{snsTopic}
	}
	return []AlarmSpec{
		{
			Name:        "flowir-" + natGatewayID + "-BytesOutToDestination",
			Description: "Incident-response playbook: bytes sent through NAT gateway " + natGatewayID + " to the internet, Sum over 15 minutes >= 5,000,000 (possible exfiltration)",
			Namespace:   "AWS/NATGateway", Metric: "BytesOutToDestination",
			DimensionName: "NatGatewayId", DimensionValue: natGatewayID,
			Statistic: "Sum", Period: 900, EvaluationPeriods: 1, Threshold: 5000000,
			Comparison: "GreaterThanOrEqualToThreshold", Actions: actions,
		},
		{
			Name:        "flowir-" + natGatewayID + "-ErrorPortAllocation",
			Description: "Incident-response playbook: NAT gateway " + natGatewayID + " could not allocate a source port, Maximum over 5 minutes > 0 for 3 periods (possible scan or flood from behind it)",
			Namespace:   "AWS/NATGateway", Metric: "ErrorPortAllocation",
			DimensionName: "NatGatewayId", DimensionValue: natGatewayID,
			Statistic: "Maximum", Period: 300, EvaluationPeriods: 3, Threshold: 0,
			Comparison: "GreaterThanThreshold", Actions: actions,
		},
	}
}

// CLI returns the equivalent `aws cloudwatch put-metric-alarm` command.
func (a *AlarmSpec) CLI(region, profile string) []string {
	args := []string{"aws", "cloudwatch", "put-metric-alarm",
		"--alarm-name", a.Name,
		"--alarm-description", a.Description,
		"--namespace", a.Namespace,
		"--metric-name", a.Metric,
		"--dimensions", "Name=" + a.DimensionName + ",Value=" + a.DimensionValue,
		"--statistic", a.Statistic,
		"--period", strconv.Itoa(a.Period),
		"--evaluation-periods", strconv.Itoa(a.EvaluationPeriods),
		"--threshold", strconv.FormatFloat(a.Threshold, 'f', -1, 64),
		"--comparison-operator", a.Comparison,
	}
	if len(a.Actions) > 0 {
		args = append(args, "--alarm-actions")
		args = append(args, a.Actions...)
	}
	return appendTarget(args, region, profile)
}

// ShellLine quotes args for a POSIX shell, so a printed dry run can be pasted.
func ShellLine(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = shellQuote(a)
	}
	return strings.Join(out, " ")
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_./:=,@+%", c)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
