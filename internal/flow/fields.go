// Package flow holds the domain types of flowir: the registry of every VPC and
// Transit Gateway flow log field AWS documents, the record formats built from
// header lines or `${field}` format strings, and the decoded record itself.
//
// It depends on the standard library only, so that every other layer (decode,
// store, analysis, output) can share one definition of what a field is.
package flow

import (
	"strconv"
	"strings"
)

// FieldID identifies a known flow log field. The numbering is flowir's own and
// is the column order of the `flows` table; it is not the order of any log
// format (a format may list fields in any order).
type FieldID uint8

// Kind says how a field's text is validated and typed.
type Kind uint8

const (
	// KindString is free text, stored as-is.
	KindString Kind = iota
	// KindInt32 is a non-negative decimal integer that fits 32 bits (ports,
	// protocol, tcp-flags, version, traffic-path).
	KindInt32
	// KindInt64 is a non-negative decimal integer that fits 63 bits (packets,
	// bytes, start, end, packets-lost-*).
	KindInt64
	// KindIP is an IPv4 or IPv6 address in text form.
	KindIP
	// KindEnum is text restricted to a documented set of values; anything else
	// is a reject, since an unexpected value almost always means the format
	// (field order) does not match the data.
	KindEnum
)

func (k Kind) String() string {
	switch k {
	case KindInt32:
		return "int32"
	case KindInt64:
		return "int64"
	case KindIP:
		return "ip"
	case KindEnum:
		return "enum"
	}
	return "string"
}

// Field describes one known flow log field.
type Field struct {
	ID      FieldID
	Name    string   // AWS name, hyphenated: "log-status"
	Column  string   // snake_case column name: "log_status"
	Kind    Kind     // how the text is validated
	Min     int64    // lower bound for integer kinds (inclusive)
	Max     int64    // upper bound for integer kinds (inclusive); 0 means the kind's limit
	Version int      // flow log version that introduced the field
	VPC     bool     // appears in VPC flow logs
	TGW     bool     // appears in Transit Gateway flow logs
	Values  []string // allowed values for KindEnum
	Class   Class    // the shape of a KindString field's values (values.go)
	Prefix  string   // the id prefix of a ClassResourceID field: "eni-"
}

// The known fields. The order is the order of the `flows` table columns, then
// the Transit Gateway-only fields.
const (
	Version FieldID = iota
	AccountID
	InterfaceID
	SrcAddr
	DstAddr
	SrcPort
	DstPort
	Protocol
	Packets
	Bytes
	Start
	End
	Action
	LogStatus
	VPCID
	SubnetID
	InstanceID
	TCPFlags
	Type
	PktSrcAddr
	PktDstAddr
	Region
	AZID
	SublocationType
	SublocationID
	PktSrcAWSService
	PktDstAWSService
	FlowDirection
	TrafficPath
	ECSClusterARN
	ECSClusterName
	ECSContainerInstanceARN
	ECSContainerInstanceID
	ECSContainerID
	ECSSecondContainerID
	ECSServiceName
	ECSTaskDefinitionARN
	ECSTaskARN
	ECSTaskID
	RejectReason
	// Transit Gateway only (version 6).
	ResourceType
	TGWID
	TGWAttachmentID
	TGWSrcVPCAccountID
	TGWDstVPCAccountID
	TGWSrcVPCID
	TGWDstVPCID
	TGWSrcSubnetID
	TGWDstSubnetID
	TGWSrcENI
	TGWDstENI
	TGWSrcAZID
	TGWDstAZID
	TGWPairAttachmentID
	PacketsLostNoRoute
	PacketsLostBlackhole
	PacketsLostMTUExceeded
	PacketsLostTTLExpired

	// NumFields is the number of known fields.
	NumFields
)

// NumVPCFields is the number of fields a VPC flow log record can carry: the
// fields from Version to RejectReason, which are the leading columns of the
// `flows` table.
const NumVPCFields = int(RejectReason) + 1

// The value sets and bounds are AWS's (flowlogs-reference.md §1.3-§1.8 and
// §4); values.go says why each bound is what it is.
var fields = [NumFields]Field{
	// version is the highest version of the format's fields: 2 to 8 today
	// (10 per third parties); up to 99 is accepted for versions to come.
	{ID: Version, Name: "version", Kind: KindInt32, Min: 2, Max: 99, Version: 2},
	{ID: AccountID, Name: "account-id", Kind: KindString, Class: ClassAccount, Version: 2},
	{ID: InterfaceID, Name: "interface-id", Kind: KindString, Class: ClassResourceID, Prefix: "eni-", Version: 2},
	{ID: SrcAddr, Name: "srcaddr", Kind: KindIP, Version: 2},
	{ID: DstAddr, Name: "dstaddr", Kind: KindIP, Version: 2},
	{ID: SrcPort, Name: "srcport", Kind: KindInt32, Max: 65535, Version: 2},
	{ID: DstPort, Name: "dstport", Kind: KindInt32, Max: 65535, Version: 2},
	{ID: Protocol, Name: "protocol", Kind: KindInt32, Max: 255, Version: 2},
	{ID: Packets, Name: "packets", Kind: KindInt64, Max: MaxCounter, Version: 2},
	{ID: Bytes, Name: "bytes", Kind: KindInt64, Max: MaxCounter, Version: 2},
	{ID: Start, Name: "start", Kind: KindInt64, Max: MaxTime, Version: 2},
	{ID: End, Name: "end", Kind: KindInt64, Max: MaxTime, Version: 2},
	{ID: Action, Name: "action", Kind: KindEnum, Version: 2, Values: []string{"ACCEPT", "REJECT"}},
	{ID: LogStatus, Name: "log-status", Kind: KindEnum, Version: 2, Values: []string{"OK", "NODATA", "SKIPDATA"}},
	{ID: VPCID, Name: "vpc-id", Kind: KindString, Class: ClassResourceID, Prefix: "vpc-", Version: 3},
	{ID: SubnetID, Name: "subnet-id", Kind: KindString, Class: ClassResourceID, Prefix: "subnet-", Version: 3},
	{ID: InstanceID, Name: "instance-id", Kind: KindString, Class: ClassResourceID, Prefix: "i-", Version: 3},
	// tcp-flags is the OR of the TCP flag bits seen (§1.5): 8 bits.
	{ID: TCPFlags, Name: "tcp-flags", Kind: KindInt32, Max: 255, Version: 3},
	{ID: Type, Name: "type", Kind: KindEnum, Version: 3, Values: []string{"IPv4", "IPv6", "EFA"}},
	{ID: PktSrcAddr, Name: "pkt-srcaddr", Kind: KindIP, Version: 3},
	{ID: PktDstAddr, Name: "pkt-dstaddr", Kind: KindIP, Version: 3},
	{ID: Region, Name: "region", Kind: KindString, Class: ClassRegion, Version: 4},
	{ID: AZID, Name: "az-id", Kind: KindString, Class: ClassZoneID, Version: 4},
	{ID: SublocationType, Name: "sublocation-type", Kind: KindEnum, Version: 4, Values: []string{"wavelength", "outpost", "localzone"}},
	{ID: SublocationID, Name: "sublocation-id", Kind: KindString, Class: ClassZoneID, Version: 4},
	{ID: PktSrcAWSService, Name: "pkt-src-aws-service", Kind: KindString, Class: ClassUpperWord, Version: 5},
	{ID: PktDstAWSService, Name: "pkt-dst-aws-service", Kind: KindString, Class: ClassUpperWord, Version: 5},
	{ID: FlowDirection, Name: "flow-direction", Kind: KindEnum, Version: 5, Values: []string{"ingress", "egress"}},
	// traffic-path: the eight egress paths AWS documents (§1.6).
	{ID: TrafficPath, Name: "traffic-path", Kind: KindInt32, Min: 1, Max: 8, Version: 5},
	{ID: ECSClusterARN, Name: "ecs-cluster-arn", Kind: KindString, Class: ClassARN, Version: 7},
	{ID: ECSClusterName, Name: "ecs-cluster-name", Kind: KindString, Class: ClassName, Version: 7},
	{ID: ECSContainerInstanceARN, Name: "ecs-container-instance-arn", Kind: KindString, Class: ClassARN, Version: 7},
	{ID: ECSContainerInstanceID, Name: "ecs-container-instance-id", Kind: KindString, Class: ClassName, Version: 7},
	{ID: ECSContainerID, Name: "ecs-container-id", Kind: KindString, Class: ClassName, Version: 7},
	{ID: ECSSecondContainerID, Name: "ecs-second-container-id", Kind: KindString, Class: ClassName, Version: 7},
	{ID: ECSServiceName, Name: "ecs-service-name", Kind: KindString, Class: ClassName, Version: 7},
	{ID: ECSTaskDefinitionARN, Name: "ecs-task-definition-arn", Kind: KindString, Class: ClassARN, Version: 7},
	{ID: ECSTaskARN, Name: "ecs-task-arn", Kind: KindString, Class: ClassARN, Version: 7},
	{ID: ECSTaskID, Name: "ecs-task-id", Kind: KindString, Class: ClassName, Version: 7},
	{ID: RejectReason, Name: "reject-reason", Kind: KindString, Class: ClassUpperWord, Version: 8},
	{ID: ResourceType, Name: "resource-type", Kind: KindEnum, Version: 6, Values: []string{"TransitGateway", "TransitGatewayAttachment"}},
	{ID: TGWID, Name: "tgw-id", Kind: KindString, Class: ClassResourceID, Prefix: "tgw-", Version: 6},
	{ID: TGWAttachmentID, Name: "tgw-attachment-id", Kind: KindString, Class: ClassResourceID, Prefix: "tgw-attach-", Version: 6},
	{ID: TGWSrcVPCAccountID, Name: "tgw-src-vpc-account-id", Kind: KindString, Class: ClassAccount, Version: 6},
	{ID: TGWDstVPCAccountID, Name: "tgw-dst-vpc-account-id", Kind: KindString, Class: ClassAccount, Version: 6},
	{ID: TGWSrcVPCID, Name: "tgw-src-vpc-id", Kind: KindString, Class: ClassResourceID, Prefix: "vpc-", Version: 6},
	{ID: TGWDstVPCID, Name: "tgw-dst-vpc-id", Kind: KindString, Class: ClassResourceID, Prefix: "vpc-", Version: 6},
	{ID: TGWSrcSubnetID, Name: "tgw-src-subnet-id", Kind: KindString, Class: ClassResourceID, Prefix: "subnet-", Version: 6},
	{ID: TGWDstSubnetID, Name: "tgw-dst-subnet-id", Kind: KindString, Class: ClassResourceID, Prefix: "subnet-", Version: 6},
	{ID: TGWSrcENI, Name: "tgw-src-eni", Kind: KindString, Class: ClassResourceID, Prefix: "eni-", Version: 6},
	{ID: TGWDstENI, Name: "tgw-dst-eni", Kind: KindString, Class: ClassResourceID, Prefix: "eni-", Version: 6},
	{ID: TGWSrcAZID, Name: "tgw-src-az-id", Kind: KindString, Class: ClassZoneID, Version: 6},
	{ID: TGWDstAZID, Name: "tgw-dst-az-id", Kind: KindString, Class: ClassZoneID, Version: 6},
	{ID: TGWPairAttachmentID, Name: "tgw-pair-attachment-id", Kind: KindString, Class: ClassResourceID, Prefix: "tgw-attach-", Version: 6},
	{ID: PacketsLostNoRoute, Name: "packets-lost-no-route", Kind: KindInt64, Max: MaxCounter, Version: 6},
	{ID: PacketsLostBlackhole, Name: "packets-lost-blackhole", Kind: KindInt64, Max: MaxCounter, Version: 6},
	{ID: PacketsLostMTUExceeded, Name: "packets-lost-mtu-exceeded", Kind: KindInt64, Max: MaxCounter, Version: 6},
	{ID: PacketsLostTTLExpired, Name: "packets-lost-ttl-expired", Kind: KindInt64, Max: MaxCounter, Version: 6},
}

// tgwFields lists the fields of the Transit Gateway default format, in that
// format's order (AWS transit gateway guide, "Available fields").
var tgwDefault = []FieldID{
	Version, ResourceType, AccountID, TGWID, TGWAttachmentID, TGWSrcVPCAccountID,
	TGWDstVPCAccountID, TGWSrcVPCID, TGWDstVPCID, TGWSrcSubnetID, TGWDstSubnetID,
	TGWSrcENI, TGWDstENI, TGWSrcAZID, TGWDstAZID, TGWPairAttachmentID, SrcAddr,
	DstAddr, SrcPort, DstPort, Protocol, Packets, Bytes, Start, End, LogStatus, Type,
	PacketsLostNoRoute, PacketsLostBlackhole, PacketsLostMTUExceeded,
	PacketsLostTTLExpired, TCPFlags, Region, FlowDirection, PktSrcAWSService,
	PktDstAWSService,
}

var byName = map[string]FieldID{}

func init() {
	tgw := map[FieldID]bool{}
	for _, id := range tgwDefault {
		tgw[id] = true
	}
	for i := range fields {
		f := &fields[i]
		if f.ID != FieldID(i) {
			panic("flow: field table out of order at " + f.Name)
		}
		f.Column = strings.ReplaceAll(f.Name, "-", "_")
		f.VPC = i < NumVPCFields
		f.TGW = tgw[f.ID]
		byName[f.Name] = f.ID
		byName[f.Column] = f.ID
	}
}

// Get returns the description of a known field.
func Get(id FieldID) *Field { return &fields[id] }

// All returns every known field, VPC fields first.
func All() []Field { return fields[:] }

// Lookup finds a known field by its AWS name ("log-status"), its column name
// ("log_status"), or a format token ("${log-status}"). Names are matched
// case-insensitively, as Athena and the Parquet schema lower-case them.
func Lookup(name string) (FieldID, bool) {
	name = strings.TrimSpace(name)
	if strings.HasPrefix(name, "${") && strings.HasSuffix(name, "}") {
		name = name[2 : len(name)-1]
	}
	if id, ok := byName[name]; ok {
		return id, true
	}
	id, ok := byName[strings.ToLower(name)]
	return id, ok
}

// String returns the AWS (hyphenated) name of the field.
func (id FieldID) String() string {
	if int(id) < len(fields) {
		return fields[id].Name
	}
	return "field(" + strconv.Itoa(int(id)) + ")"
}
