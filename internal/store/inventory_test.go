package store

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/flowir/flowir/internal/inventory"
)

const invDoc = `{
 "Vpcs":[{"VpcId":"vpc-00000001","OwnerId":"111122223333","CidrBlock":"10.0.0.0/16"}],
 "Subnets":[{"SubnetId":"subnet-00000001","VpcId":"vpc-00000001","CidrBlock":"10.0.1.0/24","AvailabilityZone":"eu-west-1a"}],
 "RouteTables":[{"RouteTableId":"rtb-00000001","VpcId":"vpc-00000001","Associations":[{"Main":true}],
   "Routes":[{"DestinationCidrBlock":"10.0.0.0/16","GatewayId":"local","State":"active"},{"DestinationCidrBlock":"0.0.0.0/0","GatewayId":"igw-00000001","State":"active"}]}],
 "SecurityGroups":[{"GroupId":"sg-00000001","VpcId":"vpc-00000001","IpPermissions":[{"IpProtocol":"tcp","FromPort":22,"ToPort":22,"IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]}],
 "NetworkInterfaces":[{"NetworkInterfaceId":"eni-00000001","Status":"in-use","VpcId":"vpc-00000001","SubnetId":"subnet-00000001","AvailabilityZone":"eu-west-1a",
   "PrivateIpAddress":"10.0.1.10","Association":{"PublicIp":"203.0.113.10"},"Attachment":{"InstanceId":"i-00000001"},"Groups":[{"GroupId":"sg-00000001"}]}],
 "Reservations":[{"Instances":[{"InstanceId":"i-00000001","Tags":[{"Key":"Name","Value":"bastion"}]}]}]
}`

func newInvCase(t *testing.T) *Case {
	t.Helper()
	c, err := Open(context.Background(), t.TempDir(), Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestInventorySnapshotRoundTrip(t *testing.T) {
	ctx := context.Background()
	c := newInvCase(t)
	if _, _, err := c.LoadInventory(ctx, 0); !errors.Is(err, ErrNoInventory) {
		t.Fatalf("empty case: %v", err)
	}
	if o, err := c.InterfaceOwners(ctx); err != nil || len(o) != 0 {
		t.Fatalf("owners without inventory: %v %v", o, err)
	}
	inv := &inventory.Inventory{}
	if _, err := inv.ImportJSON("all.json", []byte(invDoc), inventory.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	inv.Files = []inventory.SourceFile{{Path: "all.json", SHA256: "ab", Size: 10, Items: map[string]int{"vpc": 1}}}
	inv.Finish()
	t1 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	id1, err := c.SaveInventory(ctx, inv, InventorySnapshot{TakenAt: t1, Method: "import", Origin: "all.json"})
	if err != nil || id1 != 1 {
		t.Fatalf("save: %d %v", id1, err)
	}
	// A second, older snapshot (an old dump imported later) is not the newest.
	old := &inventory.Inventory{}
	old.ImportJSON("old.json", []byte(`{"Vpcs":[{"VpcId":"vpc-00000001","CidrBlock":"10.9.0.0/16"}],"NetworkInterfaces":[{"NetworkInterfaceId":"eni-00000002","Status":"in-use"}]}`), inventory.ImportOptions{})
	id2, err := c.SaveInventory(ctx, old, InventorySnapshot{TakenAt: t1.Add(-24 * time.Hour), Method: "import"})
	if err != nil || id2 != 2 {
		t.Fatalf("save old: %d %v", id2, err)
	}
	snaps, err := c.InventorySnapshots(ctx)
	if err != nil || len(snaps) != 2 || snaps[0].ID != 2 || snaps[1].ID != 1 || !snaps[1].TakenAt.Equal(t1) || snaps[1].Counts["network_interface"] != 1 {
		t.Fatalf("snapshots %+v %v", snaps, err)
	}
	back, meta, err := c.LoadInventory(ctx, 0)
	if err != nil || meta.ID != 1 {
		t.Fatalf("load latest: %v %+v", err, meta)
	}
	if !reflect.DeepEqual(back.Resources(), inv.Resources()) {
		t.Fatal("resources differ after the round trip")
	}
	if len(back.Files) != 1 || back.Files[0].SHA256 != "ab" || back.Files[0].Items["vpc"] != 1 {
		t.Fatalf("files %+v", back.Files)
	}
	if got, want := back.Evaluate().Exposures, inv.Evaluate().Exposures; len(got) != 1 || got[0].Ports != want[0].Ports {
		t.Fatalf("exposures %+v", got)
	}
	if _, _, err := c.LoadInventory(ctx, 7); err == nil || !strings.Contains(err.Error(), "no inventory snapshot 7") {
		t.Fatalf("missing snapshot: %v", err)
	}
	owners, err := c.InterfaceOwners(ctx)
	if err != nil {
		t.Fatal(err)
	}
	o := owners["eni-00000001"]
	if len(owners) != 1 || o.OwnerType != "instance" || o.OwnerID != "i-00000001" || o.OwnerName != "bastion" ||
		!reflect.DeepEqual(o.SecurityGroups, []string{"sg-00000001"}) || !reflect.DeepEqual(o.PublicIPs, []string{"203.0.113.10"}) || o.Region != "eu-west-1" {
		t.Fatalf("owners %+v", owners)
	}
	cidrs, err := c.VPCCIDRs(ctx)
	if err != nil || len(cidrs) != 1 || cidrs[0].CIDR != "10.0.0.0/16" {
		t.Fatalf("cidrs %+v %v", cidrs, err)
	}
	r, err := c.Query(ctx, `SELECT owner_name, security_groups FROM interface_owner`)
	if err != nil || len(r.Rows) != 1 || r.Rows[0][0] != "bastion" {
		t.Fatalf("view: %+v %v", r, err)
	}
}

func TestInboundSources(t *testing.T) {
	ctx := context.Background()
	c := newInvCase(t)
	ins := `INSERT INTO flows_wide (interface_id, srcaddr, dstaddr, dstport, protocol, action, bytes, start, "end", source_id, source_line) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1)`
	rows := [][]any{
		{"eni-00000001", "198.51.100.7", "10.0.1.10", 22, 6, "ACCEPT", 100, 1000, 1060},
		{"eni-00000001", "198.51.100.7", "10.0.1.10", 22, 6, "ACCEPT", 50, 2000, 2060},
		{"eni-00000001", "203.0.113.99", "10.0.1.10", 22, 6, "REJECT", 50, 2000, 2060}, // rejected
		{"eni-00000001", "203.0.113.99", "10.0.1.10", 80, 6, "ACCEPT", 50, 2000, 2060}, // other port
		{"eni-00000001", "10.0.1.10", "198.51.100.7", 22, 6, "ACCEPT", 50, 2000, 2060}, // outbound
		{"eni-00000002", "198.51.100.8", "10.0.1.11", 22, 6, "ACCEPT", 50, 2000, 2060}, // other interface
		{"eni-00000001", "10.0.2.5", "10.0.1.10", 22, 6, "ACCEPT", 7, 500, 560},        // internal source
	}
	for _, r := range rows {
		if _, err := c.db.Exec(ins, r...); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := c.HasFlows(ctx); err != nil || !ok {
		t.Fatalf("HasFlows %v %v", ok, err)
	}
	got, err := c.InboundSources(ctx, inventory.FlowQuery{InterfaceID: "eni-00000001", DstAddrs: []string{"10.0.1.10"}, Protocols: []int{6}, FromPort: 22, ToPort: 22})
	if err != nil {
		t.Fatal(err)
	}
	want := []inventory.SourceAgg{{Src: "10.0.2.5", Records: 1, Bytes: 7, First: 500, Last: 560}, {Src: "198.51.100.7", Records: 2, Bytes: 150, First: 1000, Last: 2060}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	got, _ = c.InboundSources(ctx, inventory.FlowQuery{InterfaceID: "eni-00000001", DstAddrs: []string{"10.0.1.10"}, NotProtos: []int{6, 17}, FromPort: -1})
	if len(got) != 0 {
		t.Fatalf("other protocols: %+v", got)
	}
}
