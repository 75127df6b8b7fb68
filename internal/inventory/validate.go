package inventory

import (
	"fmt"
	"net/netip"
	"reflect"
	"strings"
)

// Typed values of the model, checked when an item is read: a describe-*
// dump edited by hand, damaged, or written by another tool must not put a
// CIDR such as 10.0.0.0/99 or a port of 70000 into an exposure verdict.
// The rules go by the JSON field name, which AWS uses for one type only.
var (
	cidr4Fields = fieldSet("CidrBlock", "DestinationCidrBlock", "CidrIp", "CidrIpv4")
	cidr6Fields = fieldSet("Ipv6CidrBlock", "DestinationIpv6CidrBlock", "CidrIpv6")
	cidrFields  = fieldSet("Cidr", "Cidrs") // prefix list entries: either family
	addr4Fields = fieldSet("PublicIp", "CarrierIp", "PrivateIp", "PrivateIpAddress", "PublicIpAddress", "IpAddress")
	addr6Fields = fieldSet("Ipv6Address")
	// Integer ranges: security group ports (-1: all; for ICMP the type and
	// code), network ACL port ranges, ICMP type and code, ACL rule numbers
	// (32767 and, for IPv6, 32768 are the default rules: users give 1 to
	// 32766), instance state codes (16 bits).
	intRanges = map[string][2]int{
		"FromPort": {-1, 65535}, "ToPort": {-1, 65535}, "From": {0, 65535}, "To": {0, 65535},
		"Type": {-1, 255}, "Code": {-1, 65535}, "RuleNumber": {1, 32768},
	}
)

func fieldSet(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

// validateItem checks the typed values of a decoded item (a pointer to a
// model struct) and names the first bad one by its path within the item.
func validateItem(v any) error {
	return validateValue(reflect.ValueOf(v), "")
}

func validateValue(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return validateValue(v.Elem(), path)
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil // raw JSON
		}
		for i := range v.Len() {
			if err := validateValue(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			p := name
			if path != "" {
				p = path + "." + name
			}
			if err := validateField(name, v.Field(i), p); err != nil {
				return err
			}
		}
	}
	return nil
}

func validateField(name string, v reflect.Value, path string) error {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	switch {
	case v.Kind() == reflect.String:
		return validateString(name, v.String(), path)
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
		for i := range v.Len() {
			if err := validateString(name, v.Index(i).String(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	case v.CanInt():
		if r, ok := intRanges[name]; ok && (v.Int() < int64(r[0]) || v.Int() > int64(r[1])) {
			return fmt.Errorf("%s: %d is out of range (%d to %d)", path, v.Int(), r[0], r[1])
		}
		return nil
	}
	return validateValue(v, path)
}

func validateString(name, s, path string) error {
	if s == "" {
		return nil
	}
	family := func(is4 bool, want4, want6 bool) error {
		switch {
		case want4 && !is4:
			return fmt.Errorf("%s: %q is not IPv4", path, s)
		case want6 && is4:
			return fmt.Errorf("%s: %q is not IPv6", path, s)
		}
		return nil
	}
	switch {
	case cidr4Fields[name], cidr6Fields[name], cidrFields[name]:
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return fmt.Errorf("%s: not a CIDR (address/prefix length, e.g. 10.0.0.0/16): %v", path, err)
		}
		return family(p.Addr().Is4(), cidr4Fields[name], cidr6Fields[name])
	case addr4Fields[name], addr6Fields[name]:
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return fmt.Errorf("%s: %q is not an IP address", path, s)
		}
		return family(a.Is4(), addr4Fields[name], addr6Fields[name])
	}
	return nil
}
