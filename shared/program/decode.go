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

	"sportello/shared/bidi"
	"sportello/shared/problem"
)

// maxItems bounds every list in a form: no Comune has a thousand nidi, and
// an attacker's million-element array is refused before it costs anything.
const maxItems = 1000

// maxDepth bounds nesting: the deepest form is five levels deep, so
// anything beyond this is not a form and must not cost stack.
const maxDepth = 32

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// Strict decodes raw into v (a pointer to a struct) and reports every
// problem at once with its full path ("services[2].averageAttendance"):
// unknown fields, a key given twice, wrong types, and values refused by a
// field type's own UnmarshalJSON (money, dates, decimals). Nothing is
// guessed: "800,00", "1e3", a date with a time, a number in place of a
// string, "Name" for "name" are all errors. The problems come in the order
// of the input, so the same body always gets the same answer.
func Strict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var f problem.Fields
	tree, err := readValue(dec, "", 0, &f)
	if err != nil {
		return problem.New(problem.CodeBadRequest, "JSON non valido: %s.", syntaxDetail(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return problem.New(problem.CodeBadRequest, "Il modulo contiene dati dopo l'oggetto JSON.")
	}
	if _, isObject := tree.(*object); !isObject && tree != nil && len(f) == 0 {
		return problem.New(problem.CodeBadRequest, "Il modulo deve essere un oggetto JSON ({…}).")
	}
	walk(tree, reflect.TypeOf(v).Elem(), "", &f)
	if len(f) > 0 {
		return &problem.Error{Code: problem.CodeBadRequest, Detail: "Il modulo contiene campi non previsti, ripetuti o valori del tipo sbagliato.", Fields: f}
	}
	var bf problem.Fields
	bidiFields(tree, "", &bf)
	if len(bf) > 0 {
		return &problem.Error{Code: problem.CodeValidation, Detail: "Il modulo contiene caratteri di controllo della direzione di scrittura.", Fields: bf}
	}
	if err := json.Unmarshal(raw, v); err != nil {
		// walk accepted the shape, so this is a value only encoding/json
		// refuses; name it rather than guess.
		return problem.New(problem.CodeBadRequest, "Modulo non valido: %s.", err.Error())
	}
	return nil
}

// bidiFields names every text holding a bidirectional control (U+202E
// and the like): in a name it makes the text read as something else. This
// holds for every body of the API, since they all decode here.
func bidiFields(node any, path string, f *problem.Fields) {
	switch n := node.(type) {
	case string:
		if bidi.Has(n) {
			f.Add(path, problem.FieldInvalid, "Il testo contiene caratteri di controllo della direzione di scrittura (es. U+202E), non ammessi.")
		}
	case *object:
		for _, k := range n.keys {
			if k == "filename" {
				continue // a file's name is defused instead: the documents service strips the controls
			}
			bidiFields(n.vals[k], join(path, k), f)
		}
	case []any:
		for i, v := range n {
			bidiFields(v, fmt.Sprintf("%s[%d]", path, i), f)
		}
	}
}

// object keeps a JSON object's keys in input order.
type object struct {
	keys []string
	vals map[string]any
}

var errTooDeep = errors.New("too deep")

// readValue builds the tree of one JSON value from tokens, so that a key
// repeated in an object (which encoding/json would silently resolve to the
// last one) is reported instead of hidden.
func readValue(dec *json.Decoder, path string, depth int, f *problem.Fields) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	delim, isDelim := tok.(json.Delim)
	if !isDelim {
		return tok, nil
	}
	if depth >= maxDepth {
		return nil, errTooDeep
	}
	switch delim {
	case '{':
		obj := &object{vals: map[string]any{}}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			key, _ := kt.(string)
			val, err := readValue(dec, join(path, key), depth+1, f)
			if err != nil {
				return nil, err
			}
			if _, dup := obj.vals[key]; dup {
				f.Add(join(path, key), FieldDuplicate, "Campo ripetuto nello stesso oggetto.")
				continue
			}
			obj.keys = append(obj.keys, key)
			obj.vals[key] = val
		}
		_, err := dec.Token() // '}'
		return obj, err
	case '[':
		var arr []any
		for i := 0; dec.More(); i++ {
			val, err := readValue(dec, fmt.Sprintf("%s[%d]", path, i), depth+1, f)
			if err != nil {
				return nil, err
			}
			arr = append(arr, val)
		}
		if arr == nil {
			arr = []any{}
		}
		_, err := dec.Token() // ']'
		return arr, err
	}
	return nil, fmt.Errorf("unexpected %v", delim)
}

func syntaxDetail(err error) string {
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("errore di sintassi alla posizione %d", syn.Offset)
	case errors.Is(err, errTooDeep):
		return fmt.Sprintf("più di %d livelli annidati", maxDepth)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
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

// plain turns a tree node back into what encoding/json would produce, for
// re-marshalling into a field's own UnmarshalJSON.
func plain(node any) any {
	switch n := node.(type) {
	case *object:
		m := make(map[string]any, len(n.vals))
		for k, v := range n.vals {
			m[k] = plain(v)
		}
		return m
	case []any:
		out := make([]any, len(n))
		for i, v := range n {
			out[i] = plain(v)
		}
		return out
	}
	return node
}

func walk(node any, t reflect.Type, path string, f *problem.Fields) {
	if node == nil {
		return // null leaves the zero value; Check decides if it was required
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		b, err := json.Marshal(plain(node))
		if err == nil {
			err = reflect.New(t).Interface().(json.Unmarshaler).UnmarshalJSON(b)
		}
		if err != nil {
			f.Add(path, problem.FieldInvalid, "%s", err.Error())
		}
		return
	}
	wrong := func(want string) { f.Add(path, problem.FieldInvalid, "Atteso un valore di tipo %s.", want) }
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := node.(*object)
		if !ok {
			wrong("oggetto")
			return
		}
		fields := jsonFields(t)
		for _, k := range obj.keys {
			ft, known := fields[k]
			if !known {
				f.Add(join(path, k), problem.FieldUnknown, "Campo non previsto.")
				continue
			}
			walk(obj.vals[k], ft, join(path, k), f)
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
		obj, ok := node.(*object)
		if !ok {
			wrong("oggetto")
			return
		}
		if len(obj.keys) > maxItems {
			f.Add(path, problem.FieldTooLarge, "Al massimo %d elementi.", maxItems)
			return
		}
		for _, k := range obj.keys {
			walk(obj.vals[k], t.Elem(), join(path, k), f)
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
	default:
		// A field kind this walker does not check (floats, above all) is
		// refused rather than decoded unchecked; the programs' tests decode
		// complete examples, so such a field cannot go unnoticed.
		f.Add(path, problem.FieldInvalid, "Campo di un tipo non ammesso nei moduli (%s).", t.Kind())
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
