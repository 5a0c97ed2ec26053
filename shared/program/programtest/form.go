package programtest

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	"sportello/shared/money"
	"sportello/shared/program"
)

// FormIsDescribed fails unless the program's description of its form
// (program.Described) names exactly the fields its decoder accepts, each
// with a kind that fits its Go type and an Italian label: a field added to
// the form without its description, or described but not read, fails here.
func FormIsDescribed(t *testing.T, p program.Program) {
	t.Helper()
	d, ok := p.(program.Described)
	if !ok {
		t.Fatalf("%s does not describe its form (program.Described)", p.ID())
	}
	form, err := p.Decode(json.RawMessage(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	typ := reflect.TypeOf(form)
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	accepted := map[string]string{} // path → kind its Go type needs
	shape(typ, "", accepted)
	described := map[string]program.Field{}
	var walk func(prefix string, fs []program.Field)
	walk = func(prefix string, fs []program.Field) {
		for _, f := range fs {
			p := prefix + f.Name
			if _, dup := described[p]; dup {
				t.Errorf("%s described twice", p)
			}
			described[p] = f
			if strings.TrimSpace(f.Label) == "" {
				t.Errorf("%s has no label", p)
			}
			switch f.Kind {
			case program.KindGroup:
				walk(p+".", f.Fields)
			case program.KindList:
				walk(p+"[].", f.Fields)
			case program.KindChoice, program.KindDeclarations:
				if len(f.Options) == 0 {
					t.Errorf("%s (%s) has no options", p, f.Kind)
				}
				for _, o := range f.Options {
					if o.Value == "" || o.Label == "" {
						t.Errorf("%s: option %+v without value or label", p, o)
					}
				}
			}
		}
	}
	walk("", d.Fields())
	for _, path := range sortedKeys(accepted) {
		f, ok := described[path]
		switch {
		case !ok:
			t.Errorf("%s: the decoder accepts %s, which the description does not name", p.ID(), path)
		case !fits(accepted[path], f.Kind):
			t.Errorf("%s: %s is described as %s, but its type needs %s", p.ID(), path, f.Kind, accepted[path])
		}
	}
	for path, f := range described {
		if _, ok := accepted[path]; !ok {
			t.Errorf("%s: the description names %s (%s), which the decoder does not accept", p.ID(), path, f.Kind)
		}
	}
}

var (
	unmarshaler = reflect.TypeFor[json.Unmarshaler]()
	dateType    = reflect.TypeFor[program.Date]()
	decimalType = reflect.TypeFor[program.Decimal]()
	centsType   = reflect.TypeFor[money.Cents]()
)

// shape records the JSON paths of t's values with the kind each needs.
func shape(t reflect.Type, prefix string, out map[string]string) {
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if !sf.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		path := prefix + name
		ft := sf.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft == dateType:
			out[path] = program.KindDate
		case ft == decimalType:
			out[path] = program.KindDecimal
		case ft == centsType:
			out[path] = program.KindMoney
		case reflect.PointerTo(ft).Implements(unmarshaler):
			out[path] = "scalar"
		case ft.Kind() == reflect.Struct:
			out[path] = program.KindGroup
			shape(ft, path+".", out)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			out[path] = program.KindList
			shape(ft.Elem(), path+"[].", out)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.String:
			out[path] = program.KindCodes
		case ft.Kind() == reflect.Map && ft.Elem().Kind() == reflect.Bool:
			out[path] = program.KindDeclarations
		case ft.Kind() == reflect.Bool:
			out[path] = program.KindBoolean
		case ft.Kind() >= reflect.Int && ft.Kind() <= reflect.Uint64:
			out[path] = program.KindInteger
		case ft.Kind() == reflect.String:
			out[path] = program.KindText
		default:
			out[path] = ft.String()
		}
	}
}

// fits: a Go string may be text, e-mail or a choice; the others need
// their own kind.
func fits(need, kind string) bool {
	switch need {
	case program.KindText:
		return kind == program.KindText || kind == program.KindEmail || kind == program.KindChoice
	case "scalar":
		return kind == program.KindText || kind == program.KindChoice
	}
	return need == kind
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
