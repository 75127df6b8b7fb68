package enrich

import (
	"net/netip"
	"sort"
	"strings"

	"github.com/flowir/flowir/internal/inventory"
)

// Owners names, from an inventory snapshot, the network interface (and what
// owns it) behind each address inside the VPC: what every command prints
// next to an internal address.
type Owners struct {
	byAddr map[netip.Addr]inventory.Owner
	byENI  map[string]inventory.Owner
}

// NewOwners indexes the owners of a snapshot (by interface id) by every
// private, public and IPv6 address of their interfaces. It returns nil for
// an empty map: a nil *Owners knows nobody.
func NewOwners(byENI map[string]inventory.Owner) *Owners {
	if len(byENI) == 0 {
		return nil
	}
	o := &Owners{byAddr: map[netip.Addr]inventory.Owner{}, byENI: byENI}
	ids := make([]string, 0, len(byENI))
	for id := range byENI {
		ids = append(ids, id)
	}
	sort.Strings(ids) // the same owner wins every time when two interfaces list one address
	for _, id := range ids {
		ow := byENI[id]
		for _, list := range [][]string{ow.PrivateIPs, ow.PublicIPs, ow.IPv6Addresses} {
			for _, s := range list {
				if ip, err := netip.ParseAddr(s); err == nil {
					if _, taken := o.byAddr[ip.Unmap()]; !taken {
						o.byAddr[ip.Unmap()] = ow
					}
				}
			}
		}
	}
	return o
}

// Of returns the owner of the interface that has addr.
func (o *Owners) Of(addr string) (inventory.Owner, bool) {
	if o == nil {
		return inventory.Owner{}, false
	}
	ip, err := netip.ParseAddr(strings.TrimSpace(addr))
	if err != nil {
		return inventory.Owner{}, false
	}
	ow, ok := o.byAddr[ip.Unmap()]
	return ow, ok
}

// Interface returns the owner of an interface by its id.
func (o *Owners) Interface(id string) (inventory.Owner, bool) {
	if o == nil {
		return inventory.Owner{}, false
	}
	ow, ok := o.byENI[id]
	return ow, ok
}

// Addresses returns the addresses of interface id (private, public, IPv6).
func (o *Owners) Addresses(id string) []string {
	ow, ok := o.Interface(id)
	if !ok {
		return nil
	}
	return append(append(append([]string(nil), ow.PrivateIPs...), ow.PublicIPs...), ow.IPv6Addresses...)
}

// Describe says who owns addr: "instance i-0abc (web-1) eni-0def subnet-1
// vpc-1 sg-1,sg-2", or "" when no interface of the inventory has it.
func (o *Owners) Describe(addr string) string {
	ow, ok := o.Of(addr)
	if !ok {
		return ""
	}
	return describeOwner(ow, true)
}

// OwnerText says what owns an interface: "instance i-0abc (web-1) sg-1,sg-2"
// (the interface itself is named by the row it is printed on).
func OwnerText(ow inventory.Owner) string { return describeOwner(ow, false) }

func describeOwner(ow inventory.Owner, where bool) string {
	parts := []string{ow.OwnerType}
	if ow.OwnerID != "" {
		parts = append(parts, ow.OwnerID)
	}
	if ow.OwnerName != "" && ow.OwnerName != ow.OwnerID {
		parts = append(parts, "("+ow.OwnerName+")")
	}
	if where {
		parts = append(parts, ow.InterfaceID)
		for _, s := range []string{ow.SubnetID, ow.VpcID} {
			if s != "" {
				parts = append(parts, s)
			}
		}
	}
	if len(ow.SecurityGroups) > 0 {
		parts = append(parts, strings.Join(ow.SecurityGroups, ","))
	}
	return strings.Join(parts, " ")
}
