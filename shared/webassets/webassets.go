// Package webassets holds the front-end files vendored from npm at build
// time (`make assets`: npm ci on package-lock.json, then the files of
// assets.txt copied into dist/), embedded so that no page loads anything
// from a CDN at run time.
package webassets

import (
	"embed"
	"fmt"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Read returns one vendored file by its destination path in assets.txt
// ("swagger-ui/swagger-ui.css"). A file missing because the assets were
// not built names the command that builds them.
func Read(name string) ([]byte, error) {
	b, err := fs.ReadFile(dist, "dist/"+name)
	if err != nil {
		if _, notBuilt := fs.Stat(dist, "dist/.built"); notBuilt != nil {
			return nil, fmt.Errorf("web assets not built (run `make assets`): %w", err)
		}
		return nil, fmt.Errorf("web asset %s: %w", name, err)
	}
	return b, nil
}
