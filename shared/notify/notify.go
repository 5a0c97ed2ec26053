// Package notify sends the filing receipt to the applicant's address: by
// SES in the cloud, as a file in an outbox directory on a laptop. The
// message names the call, the protocol number and the filing time; it
// carries no personal data beyond the recipient address.
package notify

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"sportello/shared/call"
	"sportello/shared/clock"
	"sportello/shared/outbox"
	"sportello/shared/rendiconto"
	"sportello/shared/submission"
)

// Message is one e-mail.
type Message struct {
	// ID identifies the message across deliveries (outbox messages): the
	// outbox sink names its file by it, so a redelivery is one file.
	ID      string
	To      string
	Subject string
	Body    string
}

// Receipt composes the filing receipt.
func Receipt(s submission.Submission, c call.Call) Message {
	subject := fmt.Sprintf("Ricevuta di protocollo %s", s.Protocol.Number)
	var b strings.Builder
	fmt.Fprintf(&b, "Gentile ente,\n\nla domanda presentata per il bando\n  %s\n", c.Title)
	fmt.Fprintf(&b, "è stata registrata al protocollo con il numero %s\nil %s.\n\n", s.Protocol.Number, clock.FormatRome(s.Protocol.At))
	fmt.Fprintf(&b, "Ente: %s\nIdentificativo della domanda: %s\n\n", s.Org, s.ID)
	b.WriteString("Da questo momento la domanda non può più essere modificata. La ricevuta in PDF è scaricabile dal portale.\n\n")
	b.WriteString("Messaggio generato automaticamente: non rispondere.\n")
	return Message{Subject: subject, Body: b.String()}
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Decision composes the e-mail of a review decision, with the officer's
// notes and any deadline.
func Decision(s submission.Submission, c call.Call) Message {
	r := s.Review
	outcome := map[string]string{
		"validate": "è stata validata", "reject": "è stata rifiutata e va corretta",
		"admit": "è stata ammessa", "exclude": "è stata esclusa", "request_integration": "richiede un'integrazione documentale",
	}[r.Decision]
	number := s.ID
	if s.Protocol != nil {
		number = s.Protocol.Number
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Gentile ente,\n\nla domanda %s presentata per il bando\n  %s\n%s.\n\n", number, c.Title, outcome)
	if r.Notes != "" {
		fmt.Fprintf(&b, "Note dell'ufficio regionale:\n%s\n\n", r.Notes)
	}
	if r.Deadline != nil {
		fmt.Fprintf(&b, "Termine: %s.\n\n", clock.FormatRome(*r.Deadline))
	}
	if len(r.Admitted) > 0 {
		fmt.Fprintf(&b, "Strutture ammesse: %s.\n\n", strings.Join(r.Admitted, ", "))
	}
	if r.Decision == "reject" {
		b.WriteString("La domanda è di nuovo modificabile sul portale: correggerla e inviarla nuovamente per la validazione.\n\n")
	}
	b.WriteString("Messaggio generato automaticamente: non rispondere.\n")
	return Message{Subject: fmt.Sprintf("Domanda %s: esito dell'istruttoria", number), Body: b.String()}
}

// Mailer composes the e-mails of the lifecycle as outbox messages
// (submission.Notifier, rendiconto.Notifier): the services write them in
// the transaction of the change they announce, and the relay sends them
// through a Sender (Courier). Offices are the Regions' office mailboxes
// (region code → address) that hear of integrations; a region without one
// is told nothing (the service logs it).
type Mailer struct {
	Offices map[string]string
}

// ParseOffices reads "LOM=a@example.it,PIE=b@example.it".
func ParseOffices(s string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(kv), "="); ok && k != "" && v != "" {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

// email makes an outbox message of m for to, under the effect's key.
func email(id, to string, m Message, callID, subID string) outbox.Message {
	return outbox.Message{ID: id, Kind: outbox.Email, CallID: callID, SubmissionID: subID, To: to, Subject: m.Subject, Body: m.Body}
}

// Receipt is the filing receipt of s (at version s.Version) for to.
func (m Mailer) Receipt(s submission.Submission, c call.Call, to string) outbox.Message {
	return email(outbox.ID(s.ID, s.Version, "receipt"), to, Receipt(s, c), s.CallID, s.ID)
}

// Decision is the e-mail of the review decision s carries, for to.
func (m Mailer) Decision(s submission.Submission, c call.Call, to string) outbox.Message {
	return email(outbox.ID(s.ID, s.Version, "decision"), to, Decision(s, c), s.CallID, s.ID)
}

// FundsNotice is the e-mail telling org, at to, that the fund of c was
// published on the call: one per announcement and org (its id).
func (m Mailer) FundsNotice(c call.Call, org, to string) outbox.Message {
	return email(outbox.ID(c.Funds.AllocationID, 1, "funds-"+org), to, Funds(c), c.ID, "")
}

// Funds composes the notice of the fund published on c: the amount, the
// act, the day, and where to read it (the call's page).
func Funds(c call.Call) Message {
	f := c.Funds
	var b strings.Builder
	fmt.Fprintf(&b, "Gentile ente,\n\nper il bando\n  %s\n", c.Title)
	fmt.Fprintf(&b, "la Regione ha comunicato il %s l'importo del fondo: %s", f.AnnouncedAt.In(clock.Rome).Format("02/01/2006"), f.Amount.Italian())
	if f.Act != "" {
		fmt.Fprintf(&b, " (%s)", f.Act)
	}
	b.WriteString(".\n\nL'avviso è pubblicato sulla pagina del bando; il riparto segue i criteri del bando.\n\n")
	b.WriteString("Messaggio generato automaticamente: non rispondere.\n")
	return Message{Subject: "Fondo comunicato: " + f.Amount.Italian(), Body: b.String()}
}

// IntegrationNotice tells the Region's office that an integration
// arrived; ok is false when the Region has no office address.
func (m Mailer) IntegrationNotice(s submission.Submission, c call.Call) (outbox.Message, bool) {
	to := m.Offices[s.Region]
	if to == "" {
		return outbox.Message{}, false
	}
	return email(outbox.ID(s.ID, s.Version, "office"), to, Integration(s, c), s.CallID, s.ID), true
}

// Integration composes the office's notice of an integration: its number,
// its time and the fingerprint of each document sealed with it.
func Integration(s submission.Submission, c call.Call) Message {
	in := s.Integrations[len(s.Integrations)-1]
	var b strings.Builder
	fmt.Fprintf(&b, "La domanda %s (protocollo %s) per il bando\n  %s\n", s.ID, s.Protocol.Number, c.Title)
	fmt.Fprintf(&b, "ha ricevuto l'integrazione documentale registrata con il numero %s il %s.\n\nDocumenti:\n", in.Protocol.Number, clock.FormatRome(in.Protocol.At))
	for _, d := range in.Documents {
		fmt.Fprintf(&b, "  - %s, %d byte, SHA-256 %s\n", d.Kind, d.Size, d.SHA256)
	}
	b.WriteString("\nMessaggio generato automaticamente: non rispondere.\n")
	return Message{Subject: fmt.Sprintf("Integrazione %s alla domanda %s", in.Protocol.Number, s.Protocol.Number), Body: b.String()}
}

// SES sends through Amazon SES v2 from one verified identity.
type SES struct {
	Client *sesv2.Client
	From   string
}

// Send delivers m.
func (s SES) Send(ctx context.Context, m Message) error {
	_, err := s.Client.SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(s.From),
		Destination:      &types.Destination{ToAddresses: []string{m.To}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(m.Subject), Charset: aws.String("UTF-8")},
			Body:    &types.Body{Text: &types.Content{Data: aws.String(m.Body), Charset: aws.String("UTF-8")}},
			Headers: headers(m),
		}},
	})
	if err != nil {
		return fmt.Errorf("send e-mail: %w", err)
	}
	return nil
}

// IdempotencyHeader carries an outbox message's key in the e-mail itself,
// so a receiving system (or a person) recognises a redelivery.
const IdempotencyHeader = "X-Sportello-Message-Id"

func headers(m Message) []types.MessageHeader {
	if m.ID == "" {
		return nil
	}
	return []types.MessageHeader{{Name: aws.String(IdempotencyHeader), Value: aws.String(m.ID)}}
}

// Outbox writes each message as a file (the local runtime's "mail server")
// and logs its path, never its content.
type Outbox struct {
	Dir   string
	Clock clock.Clock
	Log   *slog.Logger
}

// Send writes m to Dir.
func (o Outbox) Send(_ context.Context, m Message) error {
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	name := o.Clock.Now().UTC().Format("20060102T150405.000000000Z") + "-" + safe(m.Subject) + ".eml"
	if m.ID != "" {
		// De-duplication at the consumer: a redelivery rewrites the same file.
		name = safe(m.ID) + "-" + safe(m.Subject) + ".eml"
	}
	path := filepath.Join(o.Dir, name)
	content := fmt.Sprintf("To: %s\nSubject: %s\nDate: %s\nContent-Type: text/plain; charset=UTF-8\n",
		m.To, m.Subject, o.Clock.Now().Format(time.RFC1123Z))
	if m.ID != "" {
		content += IdempotencyHeader + ": " + m.ID + "\n"
	}
	content += "\n" + m.Body
	// Written aside and renamed: a crash mid-write leaves no half e-mail,
	// and a redelivery replaces the file whole.
	tmp, err := os.CreateTemp(o.Dir, ".sending-*")
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	_, werr := tmp.WriteString(content)
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		_ = os.Remove(tmp.Name()) // best effort: the write already failed
		return fmt.Errorf("outbox: %w", werr)
	}
	o.Log.Info("e-mail written to outbox", "path", path)
	return nil
}

func safe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, s)
}

// ClaimReceipt composes the receipt of a transmitted liquidation request.
func ClaimReceipt(c rendiconto.Claim, callTitle string) Message {
	var b strings.Builder
	fmt.Fprintf(&b, "Gentile Comune,\n\nla Richiesta di liquidazione della rendicontazione %s (%s)\nper la misura\n  %s\n", c.ID, c.Org, callTitle)
	fmt.Fprintf(&b, "è stata registrata al protocollo con il numero %s\nil %s.\n\n", c.Protocol, clock.FormatRome(c.TransmittedAt))
	fmt.Fprintf(&b, "Quota regionale rendicontata: € %s\nAnticipo portato in detrazione: € %s\nImporto richiesto: € %s\n\n", c.Claimed, c.AdvanceOffset, c.Net)
	if due, ok := c.DueDate(); ok {
		fmt.Fprintf(&b, "La Regione provvede al pagamento entro il %s (60 giorni, sospesi in caso di richiesta di chiarimenti).\n\n", due.Format("02/01/2006"))
	}
	b.WriteString("Messaggio generato automaticamente: non rispondere.\n")
	return Message{Subject: "Richiesta di liquidazione protocollata " + c.Protocol, Body: b.String()}
}

// ClaimReceipt is the receipt of a transmitted request, to the address
// the Comune gave in its application; ok is false when it gave none.
func (m Mailer) ClaimReceipt(c rendiconto.Claim, callTitle string) (outbox.Message, bool) {
	if c.Contact == "" {
		return outbox.Message{}, false
	}
	return email(outbox.ID(c.ID, int64(c.Version), "receipt"), c.Contact, ClaimReceipt(c, callTitle), c.Call, c.Submission), true
}

// Courier delivers the outbox's e-mails through a Sender (outbox.Mail).
type Courier struct{ Sender Sender }

// Deliver sends m; the message id goes along for de-duplication.
func (c Courier) Deliver(ctx context.Context, m outbox.Message) error {
	return c.Sender.Send(ctx, Message{ID: m.ID, To: m.To, Subject: m.Subject, Body: m.Body})
}
