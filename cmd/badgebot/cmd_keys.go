package main

import (
	"context"

	"github.com/badgebot/badgebot/issuer"
)

// runKeysList is `badgebot keys list`: the signing keys, never their
// secret parts.
func runKeysList(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("keys list", true)
	if err := parseNone(fs, args); err != nil {
		return err
	}
	app, err := c.openApp(ctx)
	if err != nil {
		return err
	}
	defer app.Close()
	return c.printKeys(app.Keys)
}

// runKeysRotate is `badgebot keys rotate`: new current keys; the old ones
// stay published so that what they signed still verifies. Servers sharing
// the key directory pick the new keys up on their next use of a key.
func runKeysRotate(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("keys rotate", true)
	if err := parseNone(fs, args); err != nil {
		return err
	}
	app, err := c.openApp(ctx)
	if err != nil {
		return err
	}
	defer app.Close()
	if err := app.Keys.Rotate(); err != nil {
		return err
	}
	if !c.json {
		c.printf("rotated the signing keys in %s; running servers publish and sign with the new ones without a restart, and old keys stay published\n", app.keysWhere())
	}
	return c.printKeys(app.Keys)
}

func (c *cli) printKeys(keys *issuer.KeyRing) error {
	infos := keys.Keys()
	if c.json {
		type keyJSON struct {
			Algorithm string `json:"algorithm"`
			ID        string `json:"id"`
			Created   string `json:"created"`
			Current   bool   `json:"current"`
		}
		out := make([]keyJSON, 0, len(infos))
		for _, k := range infos {
			out = append(out, keyJSON{k.Algorithm, k.ID, k.Created.UTC().Format("2006-01-02T15:04:05Z"), k.Current})
		}
		return c.printJSON(out)
	}
	for _, k := range infos {
		cur := ""
		if k.Current {
			cur = "  (current)"
		}
		c.printf("%-8s %s  %s%s\n", k.Algorithm, k.Created.UTC().Format("2006-01-02 15:04"), k.ID, cur)
	}
	return nil
}
