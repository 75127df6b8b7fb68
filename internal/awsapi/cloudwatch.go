package awsapi

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"
)

// CloudWatch creates metric alarms. The SDK in go.mod speaks CloudWatch's
// Smithy RPC v2 CBOR protocol (POST /service/GraniteServiceVersion20100801/
// operation/PutMetricAlarm), which is what the tests' server answers.
type CloudWatch struct {
	Region string
	client *cloudwatch.Client
}

// NewCloudWatch returns a client for opts.Region (or the chain's region).
func NewCloudWatch(ctx context.Context, opts Options) (*CloudWatch, error) {
	cfg, err := Load(ctx, opts)
	if err != nil {
		return nil, err
	}
	c := cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
		o.Retryer = newRetryer(opts.MaxAttempts, DefaultEC2Attempts, false)
	})
	return &CloudWatch{Region: cfg.Region, client: c}, nil
}

// MetricAlarm is one alarm on one metric with one dimension.
type MetricAlarm struct {
	Name              string
	Description       string
	Namespace         string
	Metric            string
	DimensionName     string
	DimensionValue    string
	Statistic         string // Sum, Maximum, Average, Minimum, SampleCount
	Period            int
	EvaluationPeriods int
	Threshold         float64
	Comparison        string // GreaterThanOrEqualToThreshold, GreaterThanThreshold, ...
	Actions           []string
}

// PutMetricAlarm creates the alarm, or replaces an alarm of the same name
// (CloudWatch's own semantics: the update overwrites its whole configuration).
func (c *CloudWatch) PutMetricAlarm(ctx context.Context, a MetricAlarm) error {
	in := &cloudwatch.PutMetricAlarmInput{
		AlarmName:          aws.String(a.Name),
		AlarmDescription:   aws.String(a.Description),
		Namespace:          aws.String(a.Namespace),
		MetricName:         aws.String(a.Metric),
		Dimensions:         []types.Dimension{{Name: aws.String(a.DimensionName), Value: aws.String(a.DimensionValue)}},
		Statistic:          types.Statistic(a.Statistic),
		Period:             aws.Int32(int32(a.Period)),
		EvaluationPeriods:  aws.Int32(int32(a.EvaluationPeriods)),
		Threshold:          aws.Float64(a.Threshold),
		ComparisonOperator: types.ComparisonOperator(a.Comparison),
	}
	if len(a.Actions) > 0 {
		in.AlarmActions = a.Actions
	}
	if _, err := c.client.PutMetricAlarm(ctx, in); err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && (ae.ErrorCode() == "AccessDenied" || ae.ErrorCode() == "AccessDeniedException") {
			return fmt.Errorf("CloudWatch PutMetricAlarm %s in %s: access denied: the credentials need cloudwatch:PutMetricAlarm", a.Name, c.Region)
		}
		return fmt.Errorf("CloudWatch PutMetricAlarm %s in %s: %w", a.Name, c.Region, err)
	}
	return nil
}
