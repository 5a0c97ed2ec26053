package server

import (
	"io"
	"net/http"
	"time"

	"sportello/shared/apigw"
	"sportello/shared/auth"
	"sportello/shared/problem"
)

// devToken issues signed tokens with the production claims. It exists
// only in the local runtime: the stack has no such route. An officer's
// region must be one the catalog serves.
func devToken(keys *auth.Keys, regions auth.Regions) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			writeProblem(w, problem.New(problem.CodeMethodNotAllowed, "Usare POST."))
			return
		}
		body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		var in struct {
			Sub        string   `json:"sub"`
			Role       string   `json:"role"`
			Orgs       []string `json:"orgs"`
			Region     string   `json:"region"`
			TTLSeconds int      `json:"ttlSeconds"`
		}
		if err := apigw.DecodeJSON(body, &in); err != nil {
			p, _ := problem.As(err)
			writeProblem(w, p)
			return
		}
		if in.Sub == "" {
			in.Sub = "dev-" + in.Role
		}
		ttl := time.Duration(in.TTLSeconds) * time.Second
		if ttl <= 0 || ttl > 24*time.Hour {
			ttl = 8 * time.Hour
		}
		p := auth.Principal{Subject: in.Sub, Role: in.Role, Orgs: in.Orgs, Region: in.Region}
		claims := map[string]string{"sub": p.Subject, "role": p.Role, "region": p.Region, "orgs": "[" + joinOrgs(p.Orgs) + "]"}
		if _, err := auth.FromClaims(claims, regions); err != nil {
			pr, _ := problem.As(err)
			writeProblem(w, &problem.Error{Code: problem.CodeValidation, Detail: pr.Detail})
			return
		}
		tok, err := keys.Issue(p, ttl)
		if err != nil {
			http.Error(w, "sign error", http.StatusInternalServerError)
			return
		}
		resp, _ := apigw.JSON(http.StatusOK, map[string]string{"token": tok})
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.Status)
		w.Write(resp.Body) //nolint:errcheck // a client that went away has nothing left to read
	})
}

func joinOrgs(orgs []string) string {
	out := ""
	for i, o := range orgs {
		if i > 0 {
			out += " "
		}
		out += o
	}
	return out
}
