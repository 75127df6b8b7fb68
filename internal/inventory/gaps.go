package inventory

import (
	"fmt"
	"sort"
	"strings"

	"github.com/flowir/flowir/internal/flow"
)

// Gap is one way the flow logs of the inventory fail an investigation.
type Gap struct {
	Severity     string `json:"severity"` // high, medium, low
	Kind         string `json:"kind"`     // not_logged, traffic_type, format, interval, delivery, status
	ResourceType string `json:"resource_type"`
	ResourceID   string `json:"resource_id"`
	VpcID        string `json:"vpc_id"`
	FlowLogID    string `json:"flow_log_id"`
	Detail       string `json:"detail"`
	Fix          string `json:"fix"`
}

// investigationFields are the fields an investigation needs beyond the
// default format, and why.
var investigationFields = []struct {
	id  flow.FieldID
	why string
}{
	{flow.VPCID, "which VPC"},
	{flow.SubnetID, "which subnet"},
	{flow.InstanceID, "which instance"},
	{flow.TCPFlags, "SYN scans, completed handshakes"},
	{flow.Type, "IPv4 or IPv6"},
	{flow.PktSrcAddr, "the real source behind a NAT gateway or load balancer"},
	{flow.PktDstAddr, "the real destination behind a NAT gateway or load balancer"},
	{flow.FlowDirection, "ingress or egress"},
	{flow.TrafficPath, "which gateway the traffic left through"},
	{flow.PktSrcAWSService, "AWS service sources"},
	{flow.PktDstAWSService, "AWS service destinations"},
}

// Gaps lists what the inventory's flow logs do not record: VPCs, subnets and
// interfaces no active flow log covers, flow logs that record only ACCEPT or
// only REJECT traffic, formats without the fields an investigation needs,
// 600-second aggregation, delivery errors and inactive flow logs.
func (inv *Inventory) Gaps() []Gap {
	var gaps []Gap
	type cover struct {
		accept, reject bool
		logs           []string
	}
	byResource := map[string]*cover{}
	add := func(res, traffic, id string) {
		c := byResource[res]
		if c == nil {
			c = &cover{}
			byResource[res] = c
		}
		switch strings.ToUpper(traffic) {
		case "ACCEPT":
			c.accept = true
		case "REJECT":
			c.reject = true
		default:
			c.accept, c.reject = true, true
		}
		c.logs = append(c.logs, id)
	}
	l := inv.lookup()
	vpcOf := func(res string) string {
		switch {
		case strings.HasPrefix(res, "vpc-"):
			return res
		case strings.HasPrefix(res, "subnet-"):
			if s := l.subnet[res]; s != nil {
				return s.VpcId
			}
		case strings.HasPrefix(res, "eni-"):
			for i := range inv.NetworkInterfaces {
				if inv.NetworkInterfaces[i].NetworkInterfaceId == res {
					return inv.NetworkInterfaces[i].VpcId
				}
			}
		}
		return ""
	}
	for _, f := range inv.FlowLogs {
		vpc := vpcOf(f.ResourceId)
		fix := ""
		if f.FlowLogStatus != "" && !strings.EqualFold(f.FlowLogStatus, "ACTIVE") {
			gaps = append(gaps, Gap{"high", "status", "flow_log", f.FlowLogId, vpc, f.FlowLogId,
				fmt.Sprintf("flow log of %s is %s, not ACTIVE: it records nothing", f.ResourceId, f.FlowLogStatus), "recreate the flow log"})
			continue
		}
		add(f.ResourceId, f.TrafficType, f.FlowLogId)
		if f.DeliverLogsErrorMessage != "" || strings.EqualFold(f.DeliverLogsStatus, "FAILED") {
			msg := f.DeliverLogsErrorMessage
			if msg == "" {
				msg = "delivery status FAILED"
			}
			gaps = append(gaps, Gap{"high", "delivery", "flow_log", f.FlowLogId, vpc, f.FlowLogId,
				"delivery error: " + msg + " (records may be missing or incomplete)",
				"check the destination's permissions and quotas (bucket policy, log group, role)"})
		}
		if t := strings.ToUpper(f.TrafficType); t == "ACCEPT" || t == "REJECT" {
			other := map[string]string{"ACCEPT": "REJECT", "REJECT": "ACCEPT"}[t]
			gaps = append(gaps, Gap{"medium", "traffic_type", "flow_log", f.FlowLogId, vpc, f.FlowLogId,
				fmt.Sprintf("records only %s traffic of %s: %s records are never written, so their absence proves nothing", t, f.ResourceId, other),
				suggestFlowLog(f.ResourceId)})
		}
		if f.MaxAggregationInterval == 600 {
			gaps = append(gaps, Gap{"low", "interval", "flow_log", f.FlowLogId, vpc, f.FlowLogId,
				"600-second aggregation: one record can span 10 minutes, blurring timelines (Nitro instances use 60 s anyway)",
				suggestFlowLog(f.ResourceId)})
		}
		format := flow.DefaultFormat()
		if f.LogFormat != "" {
			ff, err := flow.ParseFormat(f.LogFormat)
			if err != nil {
				gaps = append(gaps, Gap{"medium", "format", "flow_log", f.FlowLogId, vpc, f.FlowLogId,
					"unreadable log format " + fmt.Sprintf("%q: %v", f.LogFormat, err), fix})
				continue
			}
			format = ff
		}
		var missing []string
		for _, x := range investigationFields {
			if !format.Has(x.id) {
				missing = append(missing, x.id.String()+" ("+x.why+")")
			}
		}
		if len(missing) > 0 {
			sev := "low"
			if !format.Has(flow.PktSrcAddr) || !format.Has(flow.FlowDirection) || !format.Has(flow.TCPFlags) {
				sev = "medium"
			}
			what := "custom format"
			if f.LogFormat == "" || format.Equal(flow.DefaultFormat()) {
				what = "default (version 2) format"
			}
			gaps = append(gaps, Gap{sev, "format", "flow_log", f.FlowLogId, vpc, f.FlowLogId,
				what + " lacks " + strings.Join(missing, ", "), suggestFlowLog(f.ResourceId)})
		}
	}

	// Coverage: a VPC flow log covers its subnets and interfaces, a subnet
	// flow log its interfaces.
	covered := func(ids ...string) (accept, reject bool, logs []string) {
		for _, id := range ids {
			if c := byResource[id]; c != nil {
				accept = accept || c.accept
				reject = reject || c.reject
				logs = append(logs, c.logs...)
			}
		}
		return
	}
	partial := func(a, r bool) string {
		switch {
		case a && !r:
			return "only ACCEPT"
		case r && !a:
			return "only REJECT"
		}
		return ""
	}
	for i := range inv.Vpcs {
		v := &inv.Vpcs[i]
		a, r, _ := covered(v.VpcId)
		if !a && !r {
			n, m := 0, 0
			for _, s := range inv.Subnets {
				if s.VpcId == v.VpcId {
					m++
					if a2, r2, _ := covered(s.SubnetId); a2 || r2 {
						n++
					}
				}
			}
			detail := "no flow log on the VPC"
			if m > 0 {
				detail += fmt.Sprintf(" (%d of %d subnets have their own)", n, m)
			}
			gaps = append(gaps, Gap{"high", "not_logged", "vpc", v.VpcId, v.VpcId, "", detail, suggestFlowLog(v.VpcId)})
		}
	}
	for i := range inv.Subnets {
		s := &inv.Subnets[i]
		a, r, logs := covered(s.SubnetId, s.VpcId)
		if !a && !r {
			gaps = append(gaps, Gap{"high", "not_logged", "subnet", s.SubnetId, s.VpcId, "", "no flow log covers the subnet (none on it or on its VPC)", suggestFlowLog(s.VpcId)})
		} else if p := partial(a, r); p != "" {
			gaps = append(gaps, Gap{"medium", "traffic_type", "subnet", s.SubnetId, s.VpcId, strings.Join(logs, ","), "the flow logs covering the subnet record " + p + " traffic", suggestFlowLog(s.VpcId)})
		}
	}
	for i := range inv.NetworkInterfaces {
		n := &inv.NetworkInterfaces[i]
		a, r, logs := covered(n.NetworkInterfaceId, n.SubnetId, n.VpcId)
		if !a && !r {
			gaps = append(gaps, Gap{"high", "not_logged", "network_interface", n.NetworkInterfaceId, n.VpcId, "", "no flow log covers the interface (none on it, its subnet or its VPC)", suggestFlowLog(n.VpcId)})
		} else if p := partial(a, r); p != "" {
			gaps = append(gaps, Gap{"medium", "traffic_type", "network_interface", n.NetworkInterfaceId, n.VpcId, strings.Join(logs, ","), "the flow logs covering the interface record " + p + " traffic", suggestFlowLog(n.VpcId)})
		}
	}
	rank := map[string]int{"high": 0, "medium": 1, "low": 2}
	sort.SliceStable(gaps, func(i, j int) bool {
		if rank[gaps[i].Severity] != rank[gaps[j].Severity] {
			return rank[gaps[i].Severity] < rank[gaps[j].Severity]
		}
		if gaps[i].Kind != gaps[j].Kind {
			return gaps[i].Kind < gaps[j].Kind
		}
		return gaps[i].ResourceID < gaps[j].ResourceID
	})
	return gaps
}

// suggestFlowLog is the flowir command that closes a gap on a resource.
func suggestFlowLog(res string) string {
	if res == "" {
		return ""
	}
	return "flowir setup flow-logs --resource " + res + " --destination arn:aws:s3:::BUCKET/flow-logs/ --traffic ALL --interval 60 --format all"
}
