package config

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/badgebot/badgebot/bot"
)

// ReadImage reads a badge image and tells its type from its content.
func ReadImage(path string) ([]byte, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", bot.Errorf(bot.EINVALID, "image %s: %v", path, errors.Unwrap(err))
	}
	if len(data) > 2<<20 {
		return nil, "", bot.Errorf(bot.EINVALID, "image %s: larger than 2 MiB", path)
	}
	switch typ := http.DetectContentType(data); {
	case typ == "image/png":
		return data, typ, nil
	case strings.HasSuffix(strings.ToLower(filepath.Ext(path)), "svg") && strings.Contains(string(data[:min(len(data), 4096)]), "<svg"):
		return data, "image/svg+xml", nil
	default:
		return nil, "", bot.Errorf(bot.EINVALID, "image %s: not a PNG or SVG file (%s)", path, typ)
	}
}

// ReadLogo reads a program's logo: a PNG that decodes whole, or an SVG
// document whose root element is <svg>. A file that merely looks like one
// (a PNG header and garbage after it) is refused.
func ReadLogo(path string) ([]byte, string, error) {
	data, typ, err := ReadImage(path)
	if err != nil {
		return nil, "", err
	}
	if typ == "image/png" {
		if _, err := png.Decode(bytes.NewReader(data)); err != nil {
			return nil, "", bot.Errorf(bot.EINVALID, "image %s: not a PNG image: %v", path, err)
		}
		return data, typ, nil
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, "", bot.Errorf(bot.EINVALID, "image %s: not an SVG image: %v", path, err)
		}
		if el, ok := tok.(xml.StartElement); ok {
			if el.Name.Local != "svg" {
				return nil, "", bot.Errorf(bot.EINVALID, "image %s: not an SVG image: the root element is <%s>", path, el.Name.Local)
			}
			break
		}
	}
	for { // the rest must be well-formed too
		if _, err := dec.Token(); err == io.EOF {
			return data, typ, nil
		} else if err != nil {
			return nil, "", bot.Errorf(bot.EINVALID, "image %s: not an SVG image: %v", path, err)
		}
	}
}
