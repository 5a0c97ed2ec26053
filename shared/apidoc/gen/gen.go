// Package gen builds openapi.json from the hand-written openapi.yaml: it adds
// one schema per program form, derived from the program package's own Go
// types (so a form and its schema cannot drift), and the examples of
// events/submissions, then validates the whole document.
package gen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"reflect"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"

	samples "sportello/events"
	"sportello/shared/catalog"
	"sportello/shared/money"
	"sportello/shared/program"
)

// Generate returns openapi.json for the YAML source.
func Generate(src []byte) ([]byte, error) {
	doc, err := openapi3.NewLoader().LoadFromData(src)
	if err != nil {
		return nil, fmt.Errorf("read openapi.yaml: %w", err)
	}
	if doc.Components.Schemas == nil {
		doc.Components.Schemas = openapi3.Schemas{}
	}
	forms, err := addForms(doc.Components.Schemas)
	if err != nil {
		return nil, err
	}
	data := openapi3.NewSchema()
	data.Description = "The form of the call's program (" + strings.Join(forms, ", ") + "). A draft may be half-filled; what blocks filing is reported by submit."
	for _, f := range forms {
		data.AnyOf = append(data.AnyOf, openapi3.NewSchemaRef("#/components/schemas/"+f, nil))
	}
	doc.Components.Schemas["ApplicationData"] = openapi3.NewSchemaRef("", data)
	if err := addCatalogEnums(doc); err != nil {
		return nil, err
	}
	if err := addExamples(doc); err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode openapi.json: %w", err)
	}
	// Load what we wrote, so that the references resolve as a client's
	// would, and validate it (examples included, against their schemas).
	check, err := openapi3.NewLoader().LoadFromData(out)
	if err != nil {
		return nil, fmt.Errorf("reload openapi.json: %w", err)
	}
	if err := check.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi.json is not valid: %w", err)
	}
	return append(out, '\n'), nil
}

// addForms adds <Program>Form and its nested types for every program of
// the catalog and returns the form schema names, sorted.
func addForms(schemas openapi3.Schemas) ([]string, error) {
	var names []string
	for _, prog := range catalog.All() {
		form, err := prog.Decode(json.RawMessage(`{}`))
		if err != nil {
			return nil, fmt.Errorf("program %s: an empty draft must decode: %w", prog.ID(), err)
		}
		t := reflect.TypeOf(form)
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		r := &reflector{prefix: exported(path.Base(t.PkgPath())), pkg: t.PkgPath(), schemas: schemas}
		ref, err := r.schema(t, "")
		if err != nil {
			return nil, fmt.Errorf("program %s: %w", prog.ID(), err)
		}
		name := strings.TrimPrefix(ref.Ref, "#/components/schemas/")
		s := schemas[name].Value
		s.Description = fmt.Sprintf("The form of program %s (Region %s). Accepted document kinds: %s.", prog.ID(), prog.Region().Code, kinds(prog))
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

// addCatalogEnums lists the values the catalog decides: the Regions (of
// its programs) and the kinds of reference list (its programs declare),
// so that a new program changes the contract by `make apidoc` alone.
func addCatalogEnums(doc *openapi3.T) error {
	programs := program.Programs(catalog.All())
	var regions, lists []any
	for _, code := range slices.Sorted(maps.Keys(programs.Regions())) {
		regions = append(regions, code)
	}
	seen := map[string]bool{}
	for _, p := range programs {
		for _, l := range program.ListsOf(p) {
			seen[l.Kind] = true
		}
	}
	for _, k := range slices.Sorted(maps.Keys(seen)) {
		lists = append(lists, k)
	}
	property := func(schema, name string) (*openapi3.Schema, error) {
		s := doc.Components.Schemas[schema]
		if s == nil || s.Value == nil || s.Value.Properties[name] == nil || s.Value.Properties[name].Value == nil {
			return nil, fmt.Errorf("openapi.yaml: schema %s has no property %s", schema, name)
		}
		return s.Value.Properties[name].Value, nil
	}
	region, err := property("Call", "region")
	if err != nil {
		return err
	}
	region.Enum = regions
	kind, err := property("RegistryImport", "kind")
	if err != nil {
		return err
	}
	kind.Enum = lists
	op := doc.Paths.Value("/v1/calls/{callId}/registry")
	if op == nil || op.Post == nil || op.Post.Parameters.GetByInAndName("query", "kind") == nil {
		return fmt.Errorf("openapi.yaml: POST /v1/calls/{callId}/registry has no kind parameter")
	}
	op.Post.Parameters.GetByInAndName("query", "kind").Schema.Value.Enum = lists
	return nil
}

func kinds(p program.Program) string {
	var out []string
	for _, k := range p.DocumentKinds() {
		out = append(out, fmt.Sprintf("%s (%s)", k.Kind, strings.Join(k.ContentTypes, ", ")))
	}
	return strings.Join(out, "; ")
}

func exported(s string) string {
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// reflector turns a program package's Go types into schemas with the rules
// of program.Strict: unknown fields refused, money, dates and decimals as
// strings in their exact formats, lists bounded.
type reflector struct {
	prefix, pkg string
	schemas     openapi3.Schemas
}

var (
	centsType   = reflect.TypeFor[money.Cents]()
	dateType    = reflect.TypeFor[program.Date]()
	decimalType = reflect.TypeFor[program.Decimal]()
	unmarshaler = reflect.TypeFor[json.Unmarshaler]()
)

// Bounds of program.Strict.
const maxItems = 1000

func (r *reflector) schema(t reflect.Type, at string) (*openapi3.SchemaRef, error) {
	nullable := false
	if t.Kind() == reflect.Pointer {
		t, nullable = t.Elem(), true
	}
	var s *openapi3.Schema
	switch {
	case t == centsType:
		s = openapi3.NewStringSchema().WithPattern(`^-?(0|[1-9][0-9]*)(\.[0-9]{1,2})?$`).WithMaxLength(20)
		s.Description = `euros with a dot and at most two decimals, e.g. "800.00"`
	case t == dateType:
		s = openapi3.NewStringSchema().WithFormat("date")
		s.Description = "a calendar day, YYYY-MM-DD"
		nullable = true
	case t == decimalType:
		s = openapi3.NewStringSchema().WithPattern(`^(0|[1-9][0-9]{0,8})(\.[0-9]{1,2})?$`)
		s.Description = `a non-negative number as text with at most two decimals, e.g. "12.50"`
		nullable = true
	case reflect.PointerTo(t).Implements(unmarshaler) || t.Implements(unmarshaler):
		return nil, fmt.Errorf("%s: type %s decodes itself: teach the generator its JSON form", at, t)
	case t.Kind() == reflect.String:
		s = openapi3.NewStringSchema()
	case t.Kind() == reflect.Bool:
		s = openapi3.NewBoolSchema()
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		s = openapi3.NewIntegerSchema()
	case t.Kind() == reflect.Slice:
		items, err := r.schema(t.Elem(), at+"[]")
		if err != nil {
			return nil, err
		}
		s = openapi3.NewArraySchema().WithMaxItems(maxItems)
		s.Items = items
		nullable = true
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String:
		v, err := r.schema(t.Elem(), at+"{}")
		if err != nil {
			return nil, err
		}
		s = openapi3.NewObjectSchema()
		s.AdditionalProperties = openapi3.AdditionalProperties{Schema: v}
		nullable = true
	case t.Kind() == reflect.Struct && t.PkgPath() == r.pkg:
		ref, err := r.object(t, at)
		if err != nil || !nullable {
			return ref, err
		}
		return openapi3.NewSchemaRef("", &openapi3.Schema{AllOf: openapi3.SchemaRefs{ref}, Nullable: true}), nil
	default:
		return nil, fmt.Errorf("%s: no JSON schema rule for %s", at, t)
	}
	s.Nullable = nullable
	return openapi3.NewSchemaRef("", s), nil
}

// object registers a struct of the program package as a named schema.
func (r *reflector) object(t reflect.Type, at string) (*openapi3.SchemaRef, error) {
	name := r.prefix + t.Name()
	ref := openapi3.NewSchemaRef("#/components/schemas/"+name, nil)
	if _, done := r.schemas[name]; done {
		return ref, nil
	}
	s := openapi3.NewObjectSchema()
	s.AdditionalProperties = openapi3.AdditionalProperties{Has: new(false)}
	s.Properties = openapi3.Schemas{}
	r.schemas[name] = openapi3.NewSchemaRef("", s) // before the fields: a type may refer to itself
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || tag == "-" {
			continue
		}
		if f.Anonymous {
			return nil, fmt.Errorf("%s.%s: embedded fields are not supported", at, f.Name)
		}
		if tag == "" {
			tag = f.Name
		}
		p, err := r.schema(f.Type, at+"."+tag)
		if err != nil {
			return nil, err
		}
		s.Properties[tag] = p
	}
	return ref, nil
}

// addExamples puts each application of events/submissions on the
// operations that take or return a form.
func addExamples(doc *openapi3.T) error {
	files, err := fs.Glob(samples.FS, "submissions/*.json")
	if err != nil {
		return err
	}
	var names []string
	examples := openapi3.Examples{}
	for _, f := range files {
		b, err := samples.FS.ReadFile(f)
		if err != nil {
			return err
		}
		var ex struct {
			Org  string          `json:"org"`
			Data json.RawMessage `json:"data"`
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		if err := dec.Decode(&ex); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		if ex.Org == "" || len(ex.Data) == 0 {
			continue // a reference list, not an application
		}
		var data any
		if err := json.Unmarshal(ex.Data, &data); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		name := strings.TrimSuffix(path.Base(f), ".json")
		names = append(names, name)
		examples[name] = &openapi3.ExampleRef{Value: &openapi3.Example{
			Summary: "events/" + f, Value: map[string]any{"org": ex.Org, "data": data}}}
	}
	if len(names) == 0 {
		return fmt.Errorf("no example application in events/submissions")
	}
	op := doc.Paths.Find("/v1/calls/{callId}/submissions")
	if op == nil || op.Post == nil || op.Post.RequestBody == nil {
		return fmt.Errorf("POST /v1/calls/{callId}/submissions has no request body to illustrate")
	}
	mt := op.Post.RequestBody.Value.Content.Get("application/json")
	if mt == nil {
		return fmt.Errorf("POST /v1/calls/{callId}/submissions takes no JSON")
	}
	mt.Examples = examples
	// The same forms as updates.
	put := doc.Paths.Find("/v1/submissions/{id}")
	if put == nil || put.Put == nil || put.Put.RequestBody == nil {
		return fmt.Errorf("PUT /v1/submissions/{id} has no request body to illustrate")
	}
	updates := openapi3.Examples{}
	for _, n := range names {
		v := examples[n].Value.Value.(map[string]any)
		updates[n] = &openapi3.ExampleRef{Value: &openapi3.Example{Summary: examples[n].Value.Summary, Value: map[string]any{"data": v["data"]}}}
	}
	put.Put.RequestBody.Value.Content.Get("application/json").Examples = updates
	return nil
}
