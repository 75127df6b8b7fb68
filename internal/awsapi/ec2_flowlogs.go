package awsapi

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// FlowLogConfig is what `flowir athena ddl --flow-log-id` needs from a flow
// log: its record format and where and how it delivers.
type FlowLogConfig struct {
	ID              string
	LogFormat       string // ${field} ... in the flow log's real order
	DestinationType string // s3, cloud-watch-logs, kinesis-data-firehose
	Destination     string // arn:aws:s3:::bucket/optional-prefix
	ResourceID      string
	FileFormat      string // plain-text or parquet ("" when not S3)
	Hive            bool   // HiveCompatiblePartitions
	PerHour         bool   // PerHourPartition
}

// DescribeFlowLog reads one flow log's configuration with EC2's
// DescribeFlowLogs. A flow log that does not exist (or is in another
// account or Region) is an error that says so.
func DescribeFlowLog(ctx context.Context, opts Options, id string) (*FlowLogConfig, error) {
	if !strings.HasPrefix(id, "fl-") {
		return nil, fmt.Errorf("flow log id %q: flow log ids start with fl- (list them with aws ec2 describe-flow-logs)", id)
	}
	cfg, err := Load(ctx, opts)
	if err != nil {
		return nil, err
	}
	out, err := ec2.NewFromConfig(cfg).DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{FlowLogIds: []string{id}})
	if err != nil {
		return nil, fmt.Errorf("EC2 DescribeFlowLogs %s: %w", id, err)
	}
	for _, f := range out.FlowLogs {
		if aws.ToString(f.FlowLogId) != id {
			continue
		}
		c := &FlowLogConfig{
			ID:              id,
			LogFormat:       aws.ToString(f.LogFormat),
			DestinationType: string(f.LogDestinationType),
			Destination:     aws.ToString(f.LogDestination),
			ResourceID:      aws.ToString(f.ResourceId),
		}
		if d := f.DestinationOptions; d != nil {
			c.FileFormat = string(d.FileFormat)
			c.Hive = aws.ToBool(d.HiveCompatiblePartitions)
			c.PerHour = aws.ToBool(d.PerHourPartition)
		}
		return c, nil
	}
	return nil, fmt.Errorf("flow log %s not found in Region %s: check the id, --region and --profile", id, cfg.Region)
}

// S3Destination splits a flow log's S3 destination ARN
// (arn:aws:s3:::bucket/optional-prefix) into bucket and prefix.
func (c *FlowLogConfig) S3Destination() (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(c.Destination, "arn:aws:s3:::")
	if !ok {
		for _, p := range []string{"arn:aws-cn:s3:::", "arn:aws-us-gov:s3:::"} {
			if rest, ok = strings.CutPrefix(c.Destination, p); ok {
				break
			}
		}
	}
	if !ok || c.DestinationType != "s3" {
		return "", "", fmt.Errorf("flow log %s delivers to %s %q, not to S3; Athena reads flow logs from S3", c.ID, c.DestinationType, c.Destination)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	return bucket, strings.Trim(prefix, "/"), nil
}
