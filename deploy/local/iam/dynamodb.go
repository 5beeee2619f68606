package iam

import (
	"fmt"
	"sort"
	"strings"
)

// DynamoDB's operations on one table, named by TableName. Query and Scan act
// on the index when IndexName is set ("Actions, resources, and condition
// keys for Amazon DynamoDB": both take the index resource type).
var dynamoDBTableOps = map[string]bool{
	"GetItem": true, "PutItem": true, "UpdateItem": true, "DeleteItem": true,
	"Query": true, "Scan": true, "DescribeTable": true,
}

// transactWriteActions are the actions that authorize each kind of item of a
// TransactWriteItems ("Using IAM with DynamoDB transactions",
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
var transactWriteActions = []struct{ kind, action string }{
	{"Put", "dynamodb:PutItem"},
	{"Update", "dynamodb:UpdateItem"},
	{"Delete", "dynamodb:DeleteItem"},
	{"ConditionCheck", "dynamodb:ConditionCheckItem"},
}

func identifyDynamoDB(op string, body []byte, at arns) (Call, error) {
	switch {
	case dynamoDBTableOps[op], op == "ListTables",
		op == "BatchGetItem", op == "BatchWriteItem", op == "TransactWriteItems", op == "TransactGetItems":
	default:
		return Call{}, fmt.Errorf("dynamodb %q: %w", op, ErrNotEmulated)
	}
	f, err := decode(op, body)
	if err != nil {
		return Call{}, err
	}
	call := Call{Service: "dynamodb", Operation: op, Protocol: JSON10}
	switch {
	case dynamoDBTableOps[op]:
		table := at.table(f.str("TableName"))
		if table == "" {
			return Call{}, fmt.Errorf("dynamodb %s: no TableName: %w", op, ErrMalformed)
		}
		if index := f.str("IndexName"); index != "" && (op == "Query" || op == "Scan") {
			table += "/index/" + index
		}
		call.Permissions = []Permission{{"dynamodb:" + op, table}}
	case op == "BatchGetItem" || op == "BatchWriteItem":
		call.Permissions, err = batchTables(op, f, at)
	case op == "TransactWriteItems" || op == "TransactGetItems":
		call.Permissions, err = transactItems(op, f, at)
	default: // ListTables
		// IAM evaluates ListTables on the account's table/* (AWS's answers
		// say "on resource: arn:aws:dynamodb:R:A:table/*"), so only "*" or a
		// pattern that covers table/* allows it.
		call.Permissions = []Permission{{"dynamodb:ListTables", at.arn("dynamodb", "table/*")}}
	}
	if err != nil {
		return Call{}, err
	}
	return call, nil
}

// table is a TableName's ARN: DynamoDB takes a table's name or its ARN.
func (a arns) table(name string) string {
	if name == "" || strings.HasPrefix(name, "arn:") {
		return name
	}
	return a.arn("dynamodb", "table/"+name)
}

// batchTables is one permission of the batch's own action per table of
// RequestItems, in the order of their ARNs.
func batchTables(op string, f fields, at arns) ([]Permission, error) {
	items := f.obj("RequestItems")
	if len(items) == 0 {
		return nil, fmt.Errorf("dynamodb %s: no RequestItems: %w", op, ErrMalformed)
	}
	tables := make([]string, 0, len(items))
	for name := range items {
		tables = append(tables, at.table(name))
	}
	sort.Strings(tables)
	out := make([]Permission, 0, len(tables))
	for _, t := range tables {
		out = append(out, Permission{"dynamodb:" + op, t})
	}
	return out, nil
}

// transactItems is the permission of each item of a transaction, in the
// request's order, each distinct pair once.
func transactItems(op string, f fields, at arns) ([]Permission, error) {
	items := f.list("TransactItems")
	if len(items) == 0 {
		return nil, fmt.Errorf("dynamodb %s: no TransactItems: %w", op, ErrMalformed)
	}
	var out []Permission
	seen := map[Permission]bool{}
	for i, raw := range items {
		item, _ := raw.(map[string]any)
		p, ok := transactItem(op, item, at)
		if !ok {
			return nil, fmt.Errorf("dynamodb %s: TransactItems[%d] names no table: %w", op, i, ErrMalformed)
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out, nil
}

func transactItem(op string, item fields, at arns) (Permission, bool) {
	if op == "TransactGetItems" {
		table := at.table(item.obj("Get").str("TableName"))
		return Permission{"dynamodb:GetItem", table}, table != ""
	}
	for _, k := range transactWriteActions {
		if part := item.obj(k.kind); part != nil {
			table := at.table(part.str("TableName"))
			return Permission{k.action, table}, table != ""
		}
	}
	return Permission{}, false
}
