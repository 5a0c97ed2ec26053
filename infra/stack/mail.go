package stack

// Cognito's messages, in Italian. Cognito fills {username} and {####} (the
// temporary password or the code); both must appear.
const (
	InvitationSubject = "Sportello bandi regionali: il tuo accesso"
	InvitationBody    = `<p>Buongiorno,</p>
<p>la Regione ha creato il tuo accesso allo Sportello bandi regionali per i servizi educativi della prima infanzia.</p>
<p>Nome utente: <b>{username}</b><br>Password temporanea: <b>{####}</b></p>
<p>Al primo accesso ti sarà chiesto di scegliere una nuova password e di configurare l'autenticazione a due fattori (app di autenticazione). La password temporanea scade dopo 7 giorni: se scade, chiedi un nuovo invito all'ufficio regionale.</p>
<p>Se non ti aspettavi questo messaggio, ignoralo.</p>
<p>Sportello bandi regionali – messaggio automatico, non rispondere.</p>`

	VerificationSubject = "Sportello bandi regionali: codice di verifica"
	VerificationBody    = `<p>Buongiorno,</p>
<p>il codice per verificare il tuo indirizzo e-mail è <b>{####}</b>.</p>
<p>Finché non inserisci il codice, lo Sportello continua a usare l'indirizzo precedente. Se non hai chiesto tu la modifica, avvisa subito l'ufficio regionale.</p>
<p>Sportello bandi regionali – messaggio automatico, non rispondere.</p>`
)
