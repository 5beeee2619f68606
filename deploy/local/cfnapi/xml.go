package cfnapi

// The query protocol's result shapes, as the CloudFormation API Reference
// gives them; lists are <Name><member>…</member></Name>.

type parameterXML struct {
	ParameterKey   string `xml:"ParameterKey"`
	ParameterValue string `xml:"ParameterValue"`
}

type tagXML struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type outputXML struct {
	OutputKey   string `xml:"OutputKey"`
	OutputValue string `xml:"OutputValue"`
	Description string `xml:"Description,omitempty"`
	ExportName  string `xml:"ExportName,omitempty"`
}

type stackXML struct {
	StackID           string         `xml:"StackId"`
	StackName         string         `xml:"StackName"`
	ChangeSetID       string         `xml:"ChangeSetId,omitempty"`
	Description       string         `xml:"Description,omitempty"`
	Parameters        []parameterXML `xml:"Parameters>member"`
	CreationTime      string         `xml:"CreationTime"`
	LastUpdatedTime   string         `xml:"LastUpdatedTime,omitempty"`
	StackStatus       string         `xml:"StackStatus"`
	StackStatusReason string         `xml:"StackStatusReason,omitempty"`
	DisableRollback   bool           `xml:"DisableRollback"`
	Outputs           []outputXML    `xml:"Outputs>member"`
	Capabilities      []string       `xml:"Capabilities>member"`
	Tags              []tagXML       `xml:"Tags>member"`
	TerminationProt   bool           `xml:"EnableTerminationProtection"`
	DriftStatus       string         `xml:"DriftInformation>StackDriftStatus"`
}

type stackSummaryXML struct {
	StackID           string `xml:"StackId"`
	StackName         string `xml:"StackName"`
	CreationTime      string `xml:"CreationTime"`
	StackStatus       string `xml:"StackStatus"`
	StackStatusReason string `xml:"StackStatusReason,omitempty"`
}

type eventXML struct {
	EventID              string `xml:"EventId"`
	StackID              string `xml:"StackId"`
	StackName            string `xml:"StackName"`
	LogicalResourceID    string `xml:"LogicalResourceId"`
	PhysicalResourceID   string `xml:"PhysicalResourceId"`
	ResourceType         string `xml:"ResourceType"`
	Timestamp            string `xml:"Timestamp"`
	ResourceStatus       string `xml:"ResourceStatus"`
	ResourceStatusReason string `xml:"ResourceStatusReason,omitempty"`
}

type resourceXML struct {
	StackID              string `xml:"StackId,omitempty"`
	StackName            string `xml:"StackName,omitempty"`
	LogicalResourceID    string `xml:"LogicalResourceId"`
	PhysicalResourceID   string `xml:"PhysicalResourceId"`
	ResourceType         string `xml:"ResourceType"`
	Timestamp            string `xml:"Timestamp,omitempty"`
	LastUpdatedTimestamp string `xml:"LastUpdatedTimestamp"`
	ResourceStatus       string `xml:"ResourceStatus"`
	ResourceStatusReason string `xml:"ResourceStatusReason,omitempty"`
	DriftStatus          string `xml:"DriftInformation>StackResourceDriftStatus"`
}

type exportXML struct {
	ExportingStackID string `xml:"ExportingStackId"`
	Name             string `xml:"Name"`
	Value            string `xml:"Value"`
}

type changeXML struct {
	Type         string   `xml:"Type"`
	Action       string   `xml:"ResourceChange>Action"`
	LogicalID    string   `xml:"ResourceChange>LogicalResourceId"`
	PhysicalID   string   `xml:"ResourceChange>PhysicalResourceId,omitempty"`
	ResourceType string   `xml:"ResourceChange>ResourceType"`
	Replacement  string   `xml:"ResourceChange>Replacement,omitempty"`
	Scope        []string `xml:"ResourceChange>Scope>member"`
}

type changeSetXML struct {
	ChangeSetName   string         `xml:"ChangeSetName"`
	ChangeSetID     string         `xml:"ChangeSetId"`
	StackID         string         `xml:"StackId"`
	StackName       string         `xml:"StackName"`
	Parameters      []parameterXML `xml:"Parameters>member"`
	CreationTime    string         `xml:"CreationTime"`
	ExecutionStatus string         `xml:"ExecutionStatus"`
	Status          string         `xml:"Status"`
	StatusReason    string         `xml:"StatusReason,omitempty"`
	Capabilities    []string       `xml:"Capabilities>member"`
	Tags            []tagXML       `xml:"Tags>member"`
	Changes         []changeXML    `xml:"Changes>member"`
}
