// Command local runs sportello on this machine: `make run`.
//
//	PORT                   HTTP port (default 8080)
//	SPORTELLO_DATA_DIR     state directory (default .sportello)
//	SPORTELLO_CLOCK_START  start the clock at this RFC 3339 instant and let it run
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"sportello/infra/local/server"
	"sportello/shared/auth"
	"sportello/shared/clock"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	if err := run(log); err != nil {
		log.Error("local runtime failed", "error", err.Error())
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	port := env("PORT", "8080")
	dir := env("SPORTELLO_DATA_DIR", ".sportello")
	var clk clock.Clock = clock.System{}
	if s := os.Getenv("SPORTELLO_CLOCK_START"); s != "" {
		start, err := clock.ParseInstant(s)
		if err != nil {
			return fmt.Errorf("SPORTELLO_CLOCK_START: %w", err)
		}
		clk = clock.StartAt(start)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rt, err := server.Start(ctx, server.Config{Addr: "127.0.0.1:" + port, DataDir: dir, Clock: clk, Log: log})
	if err != nil {
		return err
	}
	defer rt.Close()
	printWelcome(rt, dir)
	<-ctx.Done()
	log.Info("shutting down")
	return nil
}

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func printWelcome(rt *server.Runtime, dir string) {
	// An officer of the Piemonte demo call's Region (its program's).
	region := ""
	for _, c := range rt.Seeded.Calls {
		if c.ID == server.PiemonteCall {
			region = c.Region
		}
	}
	officer := rt.Token(auth.Principal{Subject: "funzionario-" + strings.ToLower(region), Role: auth.RoleOfficer, Region: region})
	torino := rt.Token(auth.Principal{Subject: "impiegato-torino", Role: auth.RoleApplicant, Orgs: []string{"comune:001272"}})
	fmt.Fprintf(os.Stderr, `
sportello is running at %[1]s   (state in %[2]s, clock now %[3]s)

  curl -s %[1]s/v1/health
  curl -s %[1]s/v1/calls -H "Authorization: Bearer $OFFICER"
  curl -s %[1]s/v1/calls/%[4]s -H "Authorization: Bearer $TORINO"
  curl -s -X POST %[1]s/v1/dev/token -d '{"role":"applicant","orgs":["comune:015146"]}'

  export OFFICER=%[5]s
  export TORINO=%[6]s

`, rt.URL, dir, clock.FormatRome(rt.Clock.Now()), server.PiemonteCall, officer, torino)
}
