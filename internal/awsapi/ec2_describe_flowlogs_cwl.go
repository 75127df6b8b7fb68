package awsapi

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// FlowLogsForLogGroup returns the flow logs that deliver to a CloudWatch
// Logs group (EC2 DescribeFlowLogs with the log-group-name filter), for the
// record format of the group's events, which carry no header. None is not
// an error: a flow log deleted since it wrote leaves its group behind.
func FlowLogsForLogGroup(ctx context.Context, opts Options, group string) ([]FlowLogConfig, error) {
	cfg, err := Load(ctx, opts)
	if err != nil {
		return nil, err
	}
	client := ec2.NewFromConfig(cfg)
	in := &ec2.DescribeFlowLogsInput{Filter: []ec2types.Filter{{Name: aws.String("log-group-name"), Values: []string{group}}}}
	var out []FlowLogConfig
	p := ec2.NewDescribeFlowLogsPaginator(client, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("EC2 DescribeFlowLogs for log group %s (region %s): %w", group, cfg.Region, err)
		}
		for _, f := range page.FlowLogs {
			out = append(out, FlowLogConfig{
				ID:              aws.ToString(f.FlowLogId),
				LogFormat:       aws.ToString(f.LogFormat),
				DestinationType: string(f.LogDestinationType),
				Destination:     aws.ToString(f.LogGroupName),
				ResourceID:      aws.ToString(f.ResourceId),
			})
		}
	}
	return out, nil
}
