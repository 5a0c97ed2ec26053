// Package events embeds the sample data the local runtime seeds and the
// end-to-end tests file: the ISTAT list of Comuni, example applications and
// the demo registry, and the document fixtures.
package events

import "embed"

// FS holds data/, and (once present) submissions/ and files/.
//
//go:embed data
var FS embed.FS
