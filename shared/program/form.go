package program

import (
	"regexp"
	"strings"

	"sportello/shared/problem"
)

// Field is one field of a program's form as people see it. A program
// declares its fields once (Described): the web form is drawn from them
// (GET /v1/calls/{callId}/form), the validation messages carry their
// labels, and the summary PDF labels its rows with them; a test per
// program (programtest.FormIsDescribed) keeps the description and the
// decoder in step, so a field cannot be added to one and not the other.
type Field struct {
	// Name is the field's JSON key within its parent ("name" of "entity").
	Name  string `json:"name"`
	Label string `json:"label"` // Italian
	// Kind says how the value is written: text, email, date (AAAA-MM-GG),
	// money (a decimal string of euro), decimal, integer, boolean, choice
	// (one of Options), codes (a list of short strings, e.g. ISTAT codes),
	// declarations (an object of Options' values → true), group (an
	// object of Fields), list (an array of objects of Fields).
	Kind     string   `json:"kind"`
	Required bool     `json:"required,omitempty"`
	Help     string   `json:"help,omitempty"`
	Options  []Option `json:"options,omitempty"`
	Fields   []Field  `json:"fields,omitempty"`
}

// Option is one value of a choice, or one declaration.
type Option struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// Field kinds.
const (
	KindText         = "text"
	KindEmail        = "email"
	KindDate         = "date"
	KindMoney        = "money"
	KindDecimal      = "decimal"
	KindInteger      = "integer"
	KindBoolean      = "boolean"
	KindChoice       = "choice"
	KindCodes        = "codes"
	KindDeclarations = "declarations"
	KindGroup        = "group"
	KindList         = "list"
)

// Described is a program whose form has a description.
type Described interface {
	Fields() []Field
}

// Options turns a map of value → Italian label into options, in the order
// of keys.
func Options(labels map[string]string, keys ...string) []Option {
	out := make([]Option, 0, len(keys))
	for _, k := range keys {
		out = append(out, Option{Value: k, Label: labels[k]})
	}
	return out
}

// Leaves lists the paths of a description's values: "entity.name",
// "facilities[].fees[].mode"; a declarations field is one leaf per option
// ("declarations.cofundsServices").
func Leaves(fields []Field) []string {
	var out []string
	var walk func(prefix string, fs []Field)
	walk = func(prefix string, fs []Field) {
		for _, f := range fs {
			p := prefix + f.Name
			switch f.Kind {
			case KindGroup:
				walk(p+".", f.Fields)
			case KindList:
				walk(p+"[].", f.Fields)
			case KindDeclarations:
				for _, o := range f.Options {
					out = append(out, p+"."+o.Value)
				}
			default:
				out = append(out, p)
			}
		}
	}
	walk("", fields)
	return out
}

var index = regexp.MustCompile(`\[\d+\]`)

// Lookup finds the field of a path, with or without item indexes
// ("facilities[2].name" and "facilities[].name" are the same field); a
// declaration's path finds its declarations field, labelled by the option.
func Lookup(fields []Field, path string) (Field, bool) {
	parts := strings.Split(index.ReplaceAllString(path, ""), ".")
	fs := fields
	for i, name := range parts {
		var found *Field
		for j := range fs {
			if fs[j].Name == name {
				found = &fs[j]
				break
			}
		}
		if found == nil {
			return Field{}, false
		}
		if i == len(parts)-1 {
			return *found, true
		}
		if found.Kind == KindDeclarations && i == len(parts)-2 {
			for _, o := range found.Options {
				if o.Value == parts[i+1] {
					return Field{Name: o.Value, Label: o.Label, Kind: KindBoolean, Required: true}, true
				}
			}
			return Field{}, false
		}
		fs = found.Fields
	}
	return Field{}, false
}

// Label is the Italian label of a path ("" when the description has none).
func Label(fields []Field, path string) string {
	f, _ := Lookup(fields, path)
	return f.Label
}

// LabelErrors gives each field error of a form the label of its field, so
// a message reads with the words of the form it points to.
func LabelErrors(fields []Field, errs problem.Fields) {
	for i := range errs {
		errs[i].Label = Label(fields, errs[i].Field)
	}
}
