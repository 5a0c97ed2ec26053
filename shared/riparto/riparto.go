// Package riparto splits a fund among beneficiaries in proportion to their
// weights, to the cent, with optional caps. It is pure arithmetic on exact
// integers (no floating point anywhere), so an officer can redo any line by
// hand; docs/riparto.md explains it for them.
//
//  1. Water-filling. Beneficiaries with a cap are taken in ascending order
//     of cap per unit of weight (ties by id). One whose proportional share of
//     what is left would reach its cap gets exactly the cap, and the rest of
//     the fund is shared again among the others — until nobody else reaches a
//     cap. Taking them in that order finds the same fixed point as repeating
//     "cap whoever exceeds, share again" until nothing changes, in one pass.
//  2. Cents. Each remaining beneficiary gets the floor of its exact share;
//     the cents left over (fewer than the number of beneficiaries) go one
//     each to the largest remainders, ties broken by larger weight, then by
//     id in byte order (largest-remainder method). No line ends above its
//     cap: a share that did not bind is strictly below its cap, and only a
//     share with a fractional part can receive the extra cent, so its floor
//     plus one is at most the (whole-cent) cap.
//
// Lines sum to the fund exactly, or, when every beneficiary with a positive
// weight is capped, to the sum of those caps with the rest reported as
// Unallocated. The result does not depend on the order of the input.
//
// Weights are exact rationals. Internally they are scaled by the least
// common multiple of their denominators to integers; when those integers and
// their total fit in 64 bits (any realistic call: a million weights with six
// decimals), the work is done in machine words with 128-bit products
// (math/bits), otherwise with math/big. Both paths are the same algorithm
// and are tested to give identical results.
package riparto

import (
	"cmp"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"sportello/shared/money"
	"sportello/shared/problem"
)

// EngineVersion is stored with every run, so a re-run can be matched to
// the rules that produced it. Change it whenever a result could change.
const EngineVersion = "riparto/1"

// Beneficiary is one participant.
type Beneficiary struct {
	ID        string
	Weight    *big.Rat     // ≥ 0, exact
	Cap       *money.Cents // nil when uncapped; the smallest of several caps
	CapReason string       // which cap it is, in Italian (shown in the explanation)
}

// Line is one beneficiary's allocation and how it came about. Weight is
// the caller's Rat (not copied). The explanation is derived from the other
// fields (see Explanation), so a line read back from storage explains
// itself the same way.
type Line struct {
	ID        string
	Weight    *big.Rat
	RawShare  *big.Rat // exact share in cents before rounding (the cap when capped, 0 for a zero weight)
	Amount    money.Cents
	Cap       *money.Cents
	Capped    bool // the cap bound: Amount == *Cap
	CapReason string
	Rounding  money.Cents // 0, or 1 cent given by the largest-remainder step
}

// Result of a riparto.
type Result struct {
	Fund, Allocated, Unallocated money.Cents
	Lines                        []Line // sorted by ID (byte order)
	EngineVersion                string
}

// maxFieldErrors bounds the field errors of one refusal: a million bad
// weights should not become a million-line error document.
const maxFieldErrors = 100

// Allocate splits fund among bs. It refuses, with a validation problem
// naming each wrong beneficiary, a negative fund, no beneficiaries, an
// empty or repeated id, a missing or negative weight, a negative cap, and
// weights that are all zero.
func Allocate(fund money.Cents, bs []Beneficiary) (Result, error) {
	byID, err := validate(fund, bs)
	if err != nil {
		return Result{}, err
	}
	rank := make([]int32, len(bs)) // position of each input in id order: the final tie-break
	for r, i := range byID {
		rank[i] = int32(r)
	}
	var lines []Line
	if w, total, ok := wordWeights(bs); ok {
		if total == 0 {
			return Result{}, allZero()
		}
		lines, err = allocateWords(fund, bs, byID, rank, w, total)
	} else {
		w, total := bigWeights(bs)
		if total.Sign() == 0 {
			return Result{}, allZero()
		}
		lines, err = allocateBig(fund, bs, byID, rank, w, total)
	}
	if err != nil {
		return Result{}, err
	}
	res := Result{Fund: fund, Lines: lines, EngineVersion: EngineVersion}
	for i := range lines {
		res.Allocated += lines[i].Amount
	}
	res.Unallocated = fund - res.Allocated
	if res.Unallocated < 0 {
		return Result{}, fmt.Errorf("riparto: allocated %s exceeds the fund %s", res.Allocated, fund)
	}
	return res, nil
}

func allZero() error {
	return problem.New(problem.CodeValidation, "Tutti i pesi sono zero: il riparto non si può calcolare.")
}

// validate checks the input and returns the input indices sorted by id
// (the sort also finds repeated ids without a million-entry map).
func validate(fund money.Cents, bs []Beneficiary) ([]int32, error) {
	if fund < 0 {
		return nil, &problem.Error{Code: problem.CodeValidation, Detail: "Il fondo non può essere negativo.",
			Fields: []problem.FieldError{{Field: "fund", Code: problem.FieldInvalid, Message: "Il fondo non può essere negativo."}}}
	}
	if len(bs) == 0 {
		return nil, &problem.Error{Code: problem.CodeValidation, Detail: "Nessun beneficiario: il riparto non si può calcolare.",
			Fields: []problem.FieldError{{Field: "beneficiaries", Code: problem.FieldRequired, Message: "Indicare almeno un beneficiario."}}}
	}
	if len(bs) > 1<<31-1 {
		return nil, problem.New(problem.CodeValidation, "Troppi beneficiari.")
	}
	var f problem.Fields
	add := func(i int, field, code, msg string, args ...any) {
		if len(f) < maxFieldErrors {
			f.Add(fmt.Sprintf("beneficiaries[%d].%s", i, field), code, msg, args...)
		}
	}
	for i, b := range bs {
		if b.ID == "" {
			add(i, "id", problem.FieldRequired, "Identificativo mancante.")
		}
		switch {
		case b.Weight == nil:
			add(i, "weight", problem.FieldRequired, "Peso mancante.")
		case b.Weight.Sign() < 0:
			add(i, "weight", problem.FieldInvalid, "Il peso non può essere negativo.")
		}
		if b.Cap != nil && *b.Cap < 0 {
			add(i, "cap", problem.FieldInvalid, "Il tetto non può essere negativo.")
		}
	}
	byID := sortByID(bs)
	for k := 1; k < len(byID); k++ {
		if id := bs[byID[k]].ID; id != "" && id == bs[byID[k-1]].ID {
			add(int(byID[k]), "id", problem.FieldInvalid, "Identificativo ripetuto: %s.", id)
		}
	}
	if len(f) > 0 {
		detail := "I beneficiari non sono validi."
		if len(f) == maxFieldErrors {
			detail = fmt.Sprintf("I beneficiari non sono validi (mostrati i primi %d errori).", maxFieldErrors)
		}
		return nil, f.Err(problem.CodeValidation, detail)
	}
	return byID, nil
}

// sortByID returns the input indices in id order (byte order; equal ids,
// an error reported by the caller, by input position). Ids usually share a
// prefix ("comune:0…"), so each is keyed by the 8 bytes after the prefix
// common to all: most comparisons are then one integer comparison instead
// of a string comparison through a pointer.
func sortByID(bs []Beneficiary) []int32 {
	lcp := len(bs[0].ID)
	for _, b := range bs[1:] {
		lcp = min(lcp, len(b.ID))
		for j := 0; j < lcp; j++ {
			if b.ID[j] != bs[0].ID[j] {
				lcp = j
				break
			}
		}
	}
	type key struct { // no pointer: the sort moves plain words, without write barriers
		pre uint64
		i   int32
	}
	keys := make([]key, len(bs))
	sorted := true
	for i, b := range bs {
		var pre uint64
		for j := range 8 {
			pre <<= 8
			if lcp+j < len(b.ID) {
				pre |= uint64(b.ID[lcp+j])
			}
		}
		keys[i] = key{pre: pre, i: int32(i)}
		if i > 0 && sorted && b.ID < bs[i-1].ID {
			sorted = false
		}
	}
	if !sorted {
		slices.SortFunc(keys, func(a, b key) int {
			if a.pre != b.pre {
				return cmp.Compare(a.pre, b.pre)
			}
			if c := strings.Compare(bs[a.i].ID, bs[b.i].ID); c != 0 {
				return c
			}
			return cmp.Compare(a.i, b.i)
		})
	}
	byID := make([]int32, len(bs))
	for k := range keys {
		byID[k] = keys[k].i
	}
	return byID
}

// fixedLine is a line whose amount needs no rounding: capped, or with no
// share because its weight is zero (or every positive weight was capped).
func fixedLine(b Beneficiary, capped bool) Line {
	l := Line{ID: b.ID, Weight: b.Weight, Cap: b.Cap, CapReason: b.CapReason, Capped: capped}
	if capped {
		l.Amount = *b.Cap
	}
	l.RawShare = new(big.Rat).SetInt64(int64(l.Amount))
	return l
}

// checkLeftover guards the one fact the rounding step relies on: the cents
// left after flooring are fewer than the shares with a fractional part.
func checkLeftover(left uint64, withRemainder int) error {
	if left > 0 && left >= uint64(withRemainder) {
		return fmt.Errorf("riparto: %d cents left for %d fractional shares", left, withRemainder)
	}
	return nil
}
