package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/flowir/flowir/internal/awsapi"
	"github.com/flowir/flowir/internal/flow"
	"github.com/flowir/flowir/internal/inventory"
)

// SetupFlowLogsOptions are the options of `flowir setup flow-logs`.
type SetupFlowLogsOptions struct {
	inventory.FlowLogOptions
	AWS    awsapi.Options
	DryRun bool
}

// SetupNATAlarmsOptions are the options of `flowir setup nat-alarms`.
type SetupNATAlarmsOptions struct {
	NATGateways []string
	All         bool
	SNSTopic    string
	AWS         awsapi.Options
	DryRun      bool
}

func newSetupCmd(f *Factory, g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "The playbook's logging set-up: flow logs to S3 and NAT gateway alarms (with --dry-run)",
		Long: `The playbook's "logging configuration" preparation step, validated first and
with --dry-run, which changes nothing and prints the equivalent aws CLI
commands instead:

  flowir setup flow-logs    create a VPC, subnet or interface flow log to S3
  flowir setup nat-alarms   create the two NAT gateway CloudWatch alarms`,
	}
	cmd.AddCommand(newSetupFlowLogsCmd(f, g, nil), newSetupNATAlarmsCmd(f, g, nil))
	return cmd
}

func newSetupFlowLogsCmd(f *Factory, g *globalOptions, runF func(*SetupFlowLogsOptions) error) *cobra.Command {
	opts := &SetupFlowLogsOptions{}
	all := flow.AllVPCFormat().Header()
	cmd := &cobra.Command{
		Use:   "flow-logs --resource ID --destination ARN",
		Short: "Create a flow log to S3 for a VPC, subnet or network interface (CreateFlowLogs)",
		Long: `Create a flow log that delivers to S3, after checking what the console would
refuse or the playbook warns about:
  - --resource: vpc-..., subnet-... or eni-... ids, all of one type;
  - --destination: an S3 bucket ARN, arn:aws:s3:::bucket or
    arn:aws:s3:::bucket/subfolder/; AWSLogs may not be the subfolder (AWS
    reserves it and writes AWSLogs/ after your subfolder itself);
  - --traffic ALL, ACCEPT or REJECT (ALL: a one-sided log cannot show what
    it does not record);
  - --interval 60 or 600 seconds (60: finer timelines);
  - --format default (AWS's version 2 format), all (every field of the
    current version in flowir's recommended order), or your own
    '${field} ...' list; unknown fields and Transit Gateway-only fields are
    refused.
--parquet, --hive and --hourly set the S3 file format and partitioning.

"all" is: ` + all + `

--dry-run changes nothing, sends no request, and prints the equivalent
'aws ec2 create-flow-logs' command. The bucket must allow delivery by
delivery.logs.amazonaws.com (AWS adds the policy when you own the bucket).`,
		Example: `  flowir setup flow-logs --resource vpc-0123456789abcdef0 --destination arn:aws:s3:::ir-logs/flow-logs/ --dry-run
  flowir setup flow-logs --resource eni-0a1b2c3d --destination arn:aws:s3:::ir-logs --format all --interval 60 --parquet --hive`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			req, err := inventory.NewFlowLogRequest(opts.FlowLogOptions)
			if err != nil {
				return &UsageError{err}
			}
			if opts.DryRun {
				fmt.Fprintln(f.IO.ErrOut, "dry run: nothing was changed; the equivalent command is:")
				fmt.Fprintln(f.IO.Out, inventory.ShellLine(req.CLI(opts.AWS.Region, opts.AWS.Profile)))
				return nil
			}
			c, err := awsapi.NewEC2Client(cmd.Context(), opts.AWS)
			if err != nil {
				return err
			}
			ids, err := c.CreateFlowLogs(cmd.Context(), awsapi.FlowLogCreate{ResourceType: req.ResourceType, ResourceIDs: req.ResourceIDs,
				TrafficType: req.TrafficType, Destination: req.Destination, Interval: req.Interval, LogFormat: req.LogFormat,
				FileFormat: req.FileFormat, Hive: req.Hive, PerHour: req.PerHour})
			for _, id := range ids {
				fmt.Fprintf(f.IO.Out, "created flow log %s in %s\n", id, c.Region)
			}
			return err
		},
	}
	fl := cmd.Flags()
	listVar(fl, &opts.Resources, "resource", "vpc-..., subnet-... or eni-... ids (one type per request)")
	fl.StringVar(&opts.Destination, "destination", "", "S3 bucket ARN: arn:aws:s3:::bucket[/subfolder/] (the subfolder may not be AWSLogs)")
	fl.StringVar(&opts.Traffic, "traffic", "ALL", "traffic to record: ALL, ACCEPT or REJECT")
	fl.IntVar(&opts.Interval, "interval", 60, "maximum aggregation interval in seconds: 60 or 600")
	fl.StringVar(&opts.Format, "format", "all", "record format: default, all, or '${field} ...'")
	fl.BoolVar(&opts.Parquet, "parquet", false, "deliver Apache Parquet files instead of gzip text")
	fl.BoolVar(&opts.Hive, "hive", false, "Hive-compatible S3 prefixes (aws-account-id=.../aws-region=.../year=...)")
	fl.BoolVar(&opts.Hourly, "hourly", false, "hourly S3 partitions instead of daily")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "change nothing, send nothing: print the equivalent aws CLI command")
	bindAWSTarget(cmd, &opts.AWS)
	// --format here is the record format; it shadows the global output --format.
	return cmd
}

func newSetupNATAlarmsCmd(f *Factory, g *globalOptions, runF func(*SetupNATAlarmsOptions) error) *cobra.Command {
	opts := &SetupNATAlarmsOptions{}
	cmd := &cobra.Command{
		Use:   "nat-alarms --nat-gateway ID... | --all",
		Short: "Create the playbook's two CloudWatch alarms for each NAT gateway (PutMetricAlarm)",
		Long: `Create, for each NAT gateway, the two alarms the playbook sets in the console,
exactly:
  BytesOutToDestination  statistic Sum, period 900 s (15 minutes),
                         >= 5,000,000 bytes, 1 evaluation period
                         (volume leaving through the NAT gateway: exfiltration)
  ErrorPortAllocation    statistic Maximum, period 300 s (5 minutes),
                         > 0, 3 evaluation periods
                         (no source port left: a scan or flood from behind it)
in namespace AWS/NATGateway with dimension NatGatewayId, named
flowir-NAT-ID-METRIC (an existing alarm of that name is replaced). --sns-topic
adds the topic as the alarm action.

--all creates them for every available NAT gateway of the region, found with
DescribeNatGateways (a read, which --dry-run also makes). --dry-run changes
nothing and prints the equivalent 'aws cloudwatch put-metric-alarm' commands;
with --nat-gateway it sends no request at all.`,
		Example: `  flowir setup nat-alarms --nat-gateway nat-0123456789abcdef0 --sns-topic arn:aws:sns:eu-west-1:123456789012:ir --dry-run
  flowir setup nat-alarms --all --region eu-west-1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			if opts.All == (len(opts.NATGateways) > 0) {
				return usagef("give --nat-gateway nat-... (one or more) or --all")
			}
			for _, id := range opts.NATGateways {
				if err := inventory.ValidateNATGatewayID(id); err != nil {
					return &UsageError{err}
				}
			}
			if err := inventory.ValidateSNSTopic(opts.SNSTopic); err != nil {
				return &UsageError{err}
			}
			ctx := cmd.Context()
			ids := opts.NATGateways
			if opts.All {
				c, err := awsapi.NewEC2Client(ctx, opts.AWS)
				if err != nil {
					return err
				}
				if ids, err = c.NATGatewayIDs(ctx); err != nil {
					return err
				}
				if len(ids) == 0 {
					return fmt.Errorf("no available NAT gateway in %s", c.Region)
				}
			}
			if opts.DryRun {
				fmt.Fprintln(f.IO.ErrOut, "dry run: nothing was changed; the equivalent commands are:")
				for _, id := range ids {
					for _, a := range inventory.NATAlarms(id, opts.SNSTopic) {
						op := map[string]string{"GreaterThanOrEqualToThreshold": ">=", "GreaterThanThreshold": ">"}[a.Comparison]
						fmt.Fprintf(f.IO.Out, "# %s %s: %s over %d s %s %s for %d evaluation period(s)\n", id, a.Metric, a.Statistic, a.Period, op,
							strings.TrimSuffix(fmt.Sprintf("%.0f", a.Threshold), ".0"), a.EvaluationPeriods)
						fmt.Fprintln(f.IO.Out, inventory.ShellLine(a.CLI(opts.AWS.Region, opts.AWS.Profile)))
					}
				}
				return nil
			}
			cw, err := awsapi.NewCloudWatch(ctx, opts.AWS)
			if err != nil {
				return err
			}
			for _, id := range ids {
				for _, a := range inventory.NATAlarms(id, opts.SNSTopic) {
					if err := cw.PutMetricAlarm(ctx, awsapi.MetricAlarm{Name: a.Name, Description: a.Description, Namespace: a.Namespace,
						Metric: a.Metric, DimensionName: a.DimensionName, DimensionValue: a.DimensionValue, Statistic: a.Statistic,
						Period: a.Period, EvaluationPeriods: a.EvaluationPeriods, Threshold: a.Threshold, Comparison: a.Comparison,
						Actions: a.Actions}); err != nil {
						return err
					}
					fmt.Fprintf(f.IO.Out, "created alarm %s in %s\n", a.Name, cw.Region)
				}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	listVar(fl, &opts.NATGateways, "nat-gateway", "NAT gateway ids, nat-...")
	fl.BoolVar(&opts.All, "all", false, "every available NAT gateway of the region (DescribeNatGateways)")
	fl.StringVar(&opts.SNSTopic, "sns-topic", "", "SNS topic ARN to notify when an alarm fires")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "change nothing: print the equivalent aws CLI commands")
	bindAWSTarget(cmd, &opts.AWS)
	return cmd
}
