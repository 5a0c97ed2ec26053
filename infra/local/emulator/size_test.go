package emulator

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// avSizeByLevels is the earlier measurement, decoding each level of a
// value again (quadratic in depth): avSize must give the same sizes.
func avSizeByLevels(raw json.RawMessage) int {
	var v map[string]json.RawMessage
	if json.Unmarshal(raw, &v) != nil {
		return len(raw)
	}
	n := 0
	for typ, val := range v {
		switch typ {
		case "S", "N":
			var s string
			json.Unmarshal(val, &s) //nolint:errcheck // test values are valid JSON
			if typ == "N" {
				n += len(strings.TrimLeft(s, "-0"))/2 + 1
			} else {
				n += len(s)
			}
		case "B":
			var b []byte
			json.Unmarshal(val, &b) //nolint:errcheck // test values are valid JSON
			n += len(b)
		case "BOOL", "NULL":
			n++
		case "SS", "NS", "BS":
			var xs []json.RawMessage
			json.Unmarshal(val, &xs) //nolint:errcheck // test values are valid JSON
			for _, x := range xs {
				n += len(bytes.Trim(x, `"`))
			}
		case "L":
			var xs []json.RawMessage
			json.Unmarshal(val, &xs) //nolint:errcheck // test values are valid JSON
			n += 3
			for _, x := range xs {
				n += 1 + avSizeByLevels(x)
			}
		case "M":
			var xs map[string]json.RawMessage
			json.Unmarshal(val, &xs) //nolint:errcheck // test values are valid JSON
			n += 3
			for k, x := range xs {
				n += 1 + len(k) + avSizeByLevels(x)
			}
		}
	}
	return n
}

func TestItemSizeIsMeasuredInOneDecoding(t *testing.T) {
	for _, v := range []string{
		`{"S":"Comune di Forlì"}`, `{"S":""}`, `{"N":"-0012.50"}`, `{"N":"0"}`, `{"B":"aGVsbG8="}`, `{"BOOL":false}`, `{"NULL":true}`,
		`{"SS":["a","bc"]}`, `{"NS":["1","22.5"]}`, `{"BS":["aGVsbG8=","AA=="]}`, `{"L":[]}`, `{"M":{}}`,
		`{"M":{"entity":{"M":{"name":{"S":"Comune"},"facilities":{"L":[{"M":{"fees":{"L":[{"N":"538"},{"NULL":true}]},"public":{"BOOL":true}}}]}}}}}`,
	} {
		if got, want := avSize(json.RawMessage(v)), avSizeByLevels(json.RawMessage(v)); got != want {
			t.Errorf("%s: %d, measured level by level %d", v, got, want)
		}
	}
}
