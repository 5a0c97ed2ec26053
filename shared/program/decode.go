package program

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"sportello/shared/problem"
)

// maxItems bounds every list in a form: no Comune has a thousand nidi, and
// an attacker's million-element array is refused before it costs anything.
const maxItems = 1000

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// Strict decodes raw into v (a pointer to a struct) and reports every
// problem at once with its full path ("services[2].averageAttendance"):
// unknown fields, wrong types, and values refused by a field type's own
// UnmarshalJSON (money, dates, decimals). Nothing is guessed: "800,00",
// "1e3", a date with a time, a number in place of a string are all errors.
func Strict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return problem.New(problem.CodeBadRequest, "JSON non valido: %s.", syntaxDetail(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return problem.New(problem.CodeBadRequest, "Il modulo contiene dati dopo l'oggetto JSON.")
	}
	var f problem.Fields
	walk(tree, reflect.TypeOf(v).Elem(), "", &f)
	if len(f) > 0 {
		return &problem.Error{Code: problem.CodeBadRequest, Detail: "Il modulo contiene campi non previsti o valori del tipo sbagliato.", Fields: f}
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return problem.New(problem.CodeBadRequest, "Modulo non valido: %s.", err.Error())
	}
	return nil
}

func syntaxDetail(err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("errore di sintassi alla posizione %d", syn.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "contenuto troncato o vuoto"
	}
	return "contenuto non leggibile"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func walk(node any, t reflect.Type, path string, f *problem.Fields) {
	if node == nil {
		return // null leaves the zero value; Check decides if it was required
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		b, _ := json.Marshal(node)
		if err := reflect.New(t).Interface().(json.Unmarshaler).UnmarshalJSON(b); err != nil {
			f.Add(path, problem.FieldInvalid, "%s", err.Error())
		}
		return
	}
	wrong := func(want string) { f.Add(path, problem.FieldInvalid, "Atteso un valore di tipo %s.", want) }
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := node.(map[string]any)
		if !ok {
			wrong("oggetto")
			return
		}
		fields := jsonFields(t)
		for k, v := range obj {
			ft, known := fields[k]
			if !known {
				f.Add(join(path, k), problem.FieldUnknown, "Campo non previsto.")
				continue
			}
			walk(v, ft, join(path, k), f)
		}
	case reflect.Slice:
		arr, ok := node.([]any)
		if !ok {
			wrong("elenco")
			return
		}
		if len(arr) > maxItems {
			f.Add(path, problem.FieldTooLarge, "Al massimo %d elementi.", maxItems)
			return
		}
		for i, v := range arr {
			walk(v, t.Elem(), fmt.Sprintf("%s[%d]", path, i), f)
		}
	case reflect.Map:
		obj, ok := node.(map[string]any)
		if !ok {
			wrong("oggetto")
			return
		}
		for k, v := range obj {
			walk(v, t.Elem(), join(path, k), f)
		}
	case reflect.String:
		if _, ok := node.(string); !ok {
			wrong("testo")
		}
	case reflect.Bool:
		if _, ok := node.(bool); !ok {
			wrong("booleano (true/false)")
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, ok := node.(json.Number)
		if !ok {
			wrong("numero intero")
			return
		}
		if _, err := strconv.ParseInt(n.String(), 10, 32); err != nil {
			wrong("numero intero")
		}
	}
}

func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
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
		out[name] = sf.Type
	}
	return out
}
