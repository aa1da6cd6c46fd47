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
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	keys, err := issuer.OpenKeyRing(cfg.Issuer.KeyDir)
	if err != nil {
		return err
	}
	return c.printKeys(keys)
}

// runKeysRotate is `badgebot keys rotate`: new current keys; the old ones
// stay published so that what they signed still verifies.
func runKeysRotate(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("keys rotate", true)
	if err := parseNone(fs, args); err != nil {
		return err
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	keys, err := issuer.OpenKeyRing(cfg.Issuer.KeyDir)
	if err != nil {
		return err
	}
	if err := keys.Rotate(); err != nil {
		return err
	}
	if !c.json {
		c.printf("rotated the signing keys in %s; restart a running server to sign with them (old keys stay published)\n", cfg.Issuer.KeyDir)
	}
	return c.printKeys(keys)
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
