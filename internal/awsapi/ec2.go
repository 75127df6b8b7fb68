package awsapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
)

// EC2Client reads the network inventory of one region (every page of every
// describe call the playbook's inventory needs) and creates flow logs.
type EC2Client struct {
	Region string
	client *ec2.Client
}

// DefaultEC2Attempts is how many times a throttled (RequestLimitExceeded) or
// transient EC2 call is tried, with the same full-jitter backoff as S3: an
// inventory of a large account makes many calls in a row, and EC2 throttles
// by account.
const DefaultEC2Attempts = 8

// NewEC2Client returns a client for opts.Region (or the chain's region).
func NewEC2Client(ctx context.Context, opts Options) (*EC2Client, error) {
	cfg, err := Load(ctx, opts)
	if err != nil {
		return nil, err
	}
	c := ec2.NewFromConfig(cfg, func(o *ec2.Options) {
		o.Retryer = newRetryer(opts.MaxAttempts, DefaultEC2Attempts, false)
	})
	return &EC2Client{Region: cfg.Region, client: c}, nil
}

// InventoryPage is one page of one describe call, rendered as the JSON the
// aws CLI prints for it ({"Vpcs": [...]}), so that a snapshot and an import
// of `aws ec2 describe-*` output go through the same parser.
type InventoryPage struct {
	Region string
	API    string // DescribeVpcs, ...
	Page   int    // 1-based page number within the call
	JSON   []byte
}

// page marshals the items of one page under the CLI's top-level key.
func page(region, api string, n int, key string, items any) (InventoryPage, error) {
	b, err := json.Marshal(map[string]any{key: items})
	if err != nil {
		return InventoryPage{}, fmt.Errorf("EC2 %s: %w", api, err)
	}
	return InventoryPage{Region: region, API: api, Page: n, JSON: b}, nil
}

// ec2Error says which call failed and, for the common causes, what to do.
func ec2Error(api, region string, err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch code := ae.ErrorCode(); {
		case code == "UnauthorizedOperation" || code == "AccessDenied" || strings.HasPrefix(code, "AuthFailure"):
			return fmt.Errorf("EC2 %s in %s: access denied (%s): the credentials need ec2:%s (read-only, e.g. the ReadOnlyAccess policy)", api, region, code, api)
		case code == "RequestLimitExceeded" || code == "Throttling":
			return fmt.Errorf("EC2 %s in %s: still throttled after retries (%s): run again later or with fewer --regions", api, region, code)
		case code == "OptInRequired":
			return fmt.Errorf("EC2 %s in %s: the region is not enabled for this account (%s)", api, region, code)
		}
	}
	return fmt.Errorf("EC2 %s in %s: %w", api, region, err)
}

// Snapshot calls every describe API of the inventory, following every
// NextToken, and hands each page to fn. Managed prefix lists are followed by
// their entries (GetManagedPrefixListEntries), as {"PrefixListId": ...,
// "Entries": [...]}.
func (c *EC2Client) Snapshot(ctx context.Context, fn func(InventoryPage) error) error {
	r := c.Region
	cl := c.client
	emit := func(api string, n int, key string, items any) error {
		p, err := page(r, api, n, key, items)
		if err != nil {
			return err
		}
		return fn(p)
	}
	type step struct {
		api string
		run func() error
	}
	var plIDs []string
	steps := []step{
		{"DescribeVpcs", func() error {
			p := ec2.NewDescribeVpcsPaginator(cl, &ec2.DescribeVpcsInput{})
			for n := 1; p.HasMorePages(); n++ {
				out, err := p.NextPage(ctx)
				if err != nil {
					return err
				}
				if err := emit("DescribeVpcs", n, "Vpcs", out.Vpcs); err != nil {
					return err
				}
			}
			return nil
		}},
		{"DescribeSubnets", func() error {
			p := ec2.NewDescribeSubnetsPaginator(cl, &ec2.DescribeSubnetsInput{})
			for n := 1; p.HasMorePages(); n++ {
				out, err := p.NextPage(ctx)
				if err != nil {
					return err
				}
				if err := emit("DescribeSubnets", n, "Subnets", out.Subnets); err != nil {
					return err
				}
			}
			return nil
		}},
		{"DescribeRouteTables", func() error {
			p := ec2.NewDescribeRouteTablesPaginator(cl, &ec2.DescribeRouteTablesInput{})
			for n := 1; p.HasMorePages(); n++ {
				out, err := p.NextPage(ctx)
				if err != nil {
					return err
				}
				if err := emit("DescribeRouteTables", n, "RouteTables", out.RouteTables); err != nil {
					return err
				}
			}
			return nil
		}},
		{"DescribeSecurityGroups", func() error {
			p := ec2.NewDescribeSecurityGroupsPaginator(cl, &ec2.DescribeSecurityGroupsInput{})
			for n := 1; p.HasMorePages(); n++ {
				out, err := p.NextPage(ctx)
				if err != nil {
					return err
				}
				if err := emit("DescribeSecurityGroups", n, "SecurityGroups", out.SecurityGroups); err != nil {
					return err
				}
			}
			return nil
		}},
		{"DescribeNetworkAcls", func() error {
			p := ec2.NewDescribeNetworkAclsPaginator(cl, &ec2.DescribeNetworkAclsInput{})
			for n := 1; p.HasMorePages(); n++ {
				out, err := p.NextPage(ctx)
				if err != nil {
					return err
				}
				if err := emit("DescribeNetworkAcls", n, "NetworkAcls", out.NetworkAcls); err != nil {
					return err
				}
			}
			return nil
		}},
		{"DescribeNetworkInterfaces", func() error {
			p := ec2.NewDescribeNetworkInterfacesPaginator(cl, &ec2.DescribeNetworkInterfacesInput{})
			for n := 1; p.HasMorePages(); n++ {
				out, err := p.NextPage(ctx)
				if err != nil {
					return err
				}
				if err := emit("DescribeNetworkInterfaces", n, "NetworkInterfaces", out.NetworkInterfaces); err != nil {
					return err
				}
			}
			return nil
		}},
		{"DescribeInternetGateways", func() error {
			p := ec2.NewDescribeInternetGatewaysPaginator(cl, &ec2.DescribeInternetGatewaysInput{})
			for n := 1; p.HasMorePages(); n++ {
				out, err := p.NextPage(ctx)
				if err != nil {
					return err
				}
				if err := emit("DescribeInternetGateways", n, "InternetGateways", out.InternetGateways); err != nil {
					return err
				}
			}
			return nil
		}},
		{"DescribeEgressOnlyInternetGateways", func() error {
			p := ec2.NewDescribeEgressOnlyInternetGatewaysPaginator(cl, &ec2.DescribeEgressOnlyInternetGatewaysInput{})
			for n := 1; p.HasMorePages(); n++ {
				out, err := p.NextPage(ctx)
				if err != nil {
					return err
				}
				if err := emit("DescribeEgressOnlyInternetGateways", n, "EgressOnlyInternetGateways", out.EgressOnlyInternetGateways); err != nil {
					return err
				}
			}
			return nil
		}},
		{"DescribeNatGateways", func() error {
			p := ec2.NewDescribeNatGatewaysPaginator(cl, &ec2.DescribeNatGatewaysInput{})
			for n := 1; p.HasMorePages(); n++ {
				out, err := p.NextPage(ctx)
				if err != nil {
					return err
				}
				if err := emit("DescribeNatGateways", n, "NatGateways", out.NatGateways); err != nil {
					return err
				}
			}
			return nil
		}},
		{"DescribeVpcEndpoints", func() error {
			p := ec2.NewDescribeVpcEndpointsPaginator(cl, &ec2.DescribeVpcEndpointsInput{})
			for n := 1; p.HasMorePages(); n++ {
				out, err := p.NextPage(ctx)
				if err != nil {
					return err
				}
				if err := emit("DescribeVpcEndpoints", n, "VpcEndpoints", out.VpcEndpoints); err != nil {
					return err
				}
			}
			return nil
		}},
		{"DescribeVpcPeeringConnections", func() error {
			p := ec2.NewDescribeVpcPeeringConnectionsPaginator(cl, &ec2.DescribeVpcPeeringConnectionsInput{})
			for n := 1; p.HasMorePages(); n++ {
				out, err := p.NextPage(ctx)
				if err != nil {
					return err
				}
				if err := emit("DescribeVpcPeeringConnections", n, "VpcPeeringConnections", out.VpcPeeringConnections); err != nil {
					return err
				}
			}
			return nil
		}},
		// The VPN and address calls have no pagination: one call returns all.
		{"DescribeCustomerGateways", func() error {
			out, err := cl.DescribeCustomerGateways(ctx, &ec2.DescribeCustomerGatewaysInput{})
			if err != nil {
				return err
			}
			return emit("DescribeCustomerGateways", 1, "CustomerGateways", out.CustomerGateways)
		}},
		{"DescribeVpnGateways", func() error {
			out, err := cl.DescribeVpnGateways(ctx, &ec2.DescribeVpnGatewaysInput{})
			if err != nil {
				return err
			}
			return emit("DescribeVpnGateways", 1, "VpnGateways", out.VpnGateways)
		}},
		{"DescribeVpnConnections", func() error {
			out, err := cl.DescribeVpnConnections(ctx, &ec2.DescribeVpnConnectionsInput{})
			if err != nil {
				return err
			}
			return emit("DescribeVpnConnections", 1, "VpnConnections", out.VpnConnections)
		}},
		{"DescribeAddresses", func() error {
			out, err := cl.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
			if err != nil {
				return err
			}
			return emit("DescribeAddresses", 1, "Addresses", out.Addresses)
		}},
		{"DescribeFlowLogs", func() error {
			p := ec2.NewDescribeFlowLogsPaginator(cl, &ec2.DescribeFlowLogsInput{})
			for n := 1; p.HasMorePages(); n++ {
				out, err := p.NextPage(ctx)
				if err != nil {
					return err
				}
				if err := emit("DescribeFlowLogs", n, "FlowLogs", out.FlowLogs); err != nil {
					return err
				}
			}
			return nil
		}},
		{"DescribeManagedPrefixLists", func() error {
			p := ec2.NewDescribeManagedPrefixListsPaginator(cl, &ec2.DescribeManagedPrefixListsInput{})
			for n := 1; p.HasMorePages(); n++ {
				out, err := p.NextPage(ctx)
				if err != nil {
					return err
				}
				for _, l := range out.PrefixLists {
					plIDs = append(plIDs, aws.ToString(l.PrefixListId))
				}
				if err := emit("DescribeManagedPrefixLists", n, "PrefixLists", out.PrefixLists); err != nil {
					return err
				}
			}
			return nil
		}},
		{"GetManagedPrefixListEntries", func() error {
			for _, id := range plIDs {
				var entries []types.PrefixListEntry
				p := ec2.NewGetManagedPrefixListEntriesPaginator(cl, &ec2.GetManagedPrefixListEntriesInput{PrefixListId: aws.String(id)})
				for p.HasMorePages() {
					out, err := p.NextPage(ctx)
					if err != nil {
						return fmt.Errorf("%s: %w", id, err)
					}
					entries = append(entries, out.Entries...)
				}
				b, err := json.Marshal(map[string]any{"PrefixListId": id, "Entries": entries})
				if err != nil {
					return err
				}
				if err := fn(InventoryPage{Region: r, API: "GetManagedPrefixListEntries", Page: 1, JSON: b}); err != nil {
					return err
				}
			}
			return nil
		}},
		{"DescribeInstances", func() error {
			p := ec2.NewDescribeInstancesPaginator(cl, &ec2.DescribeInstancesInput{})
			for n := 1; p.HasMorePages(); n++ {
				out, err := p.NextPage(ctx)
				if err != nil {
					return err
				}
				if err := emit("DescribeInstances", n, "Reservations", out.Reservations); err != nil {
					return err
				}
			}
			return nil
		}},
	}
	for _, s := range steps {
		if err := s.run(); err != nil {
			return ec2Error(s.api, r, err)
		}
	}
	return nil
}

// FlowLogCreate is a validated CreateFlowLogs request for S3 delivery.
type FlowLogCreate struct {
	ResourceType string // VPC, Subnet, NetworkInterface
	ResourceIDs  []string
	TrafficType  string // ALL, ACCEPT, REJECT
	Destination  string // arn:aws:s3:::bucket[/subfolder/]
	Interval     int    // 60 or 600
	LogFormat    string // "" for the default format
	FileFormat   string // plain-text or parquet
	Hive         bool
	PerHour      bool
}

// CreateFlowLogs creates the flow logs and returns their ids. A resource
// CreateFlowLogs reports as unsuccessful is an error that names it, even
// when others succeeded (their ids are returned too).
func (c *EC2Client) CreateFlowLogs(ctx context.Context, in FlowLogCreate) ([]string, error) {
	req := &ec2.CreateFlowLogsInput{
		ResourceType:           types.FlowLogsResourceType(in.ResourceType),
		ResourceIds:            in.ResourceIDs,
		TrafficType:            types.TrafficType(in.TrafficType),
		LogDestinationType:     types.LogDestinationTypeS3,
		LogDestination:         aws.String(in.Destination),
		MaxAggregationInterval: aws.Int32(int32(in.Interval)),
		DestinationOptions: &types.DestinationOptionsRequest{
			FileFormat:               types.DestinationFileFormat(in.FileFormat),
			HiveCompatiblePartitions: aws.Bool(in.Hive),
			PerHourPartition:         aws.Bool(in.PerHour),
		},
	}
	if in.LogFormat != "" {
		req.LogFormat = aws.String(in.LogFormat)
	}
	out, err := c.client.CreateFlowLogs(ctx, req)
	if err != nil {
		return nil, ec2Error("CreateFlowLogs", c.Region, err)
	}
	if len(out.Unsuccessful) > 0 {
		var msgs []string
		for _, u := range out.Unsuccessful {
			m := aws.ToString(u.ResourceId)
			if u.Error != nil {
				m += ": " + aws.ToString(u.Error.Code) + " " + aws.ToString(u.Error.Message)
			}
			msgs = append(msgs, m)
		}
		return out.FlowLogIds, fmt.Errorf("CreateFlowLogs in %s failed for %s", c.Region, strings.Join(msgs, "; "))
	}
	return out.FlowLogIds, nil
}

// NATGatewayIDs lists the region's NAT gateways that are available (or
// pending), every page.
func (c *EC2Client) NATGatewayIDs(ctx context.Context) ([]string, error) {
	var ids []string
	p := ec2.NewDescribeNatGatewaysPaginator(c.client, &ec2.DescribeNatGatewaysInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, ec2Error("DescribeNatGateways", c.Region, err)
		}
		for _, g := range out.NatGateways {
			if g.State == types.NatGatewayStateAvailable || g.State == types.NatGatewayStatePending {
				ids = append(ids, aws.ToString(g.NatGatewayId))
			}
		}
	}
	return ids, nil
}
