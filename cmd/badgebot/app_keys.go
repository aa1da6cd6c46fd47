package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/issuer"
)

// KeyDir is where the signing keys are kept: issuer.key_dir, a relative one
// taken from the directory of the config file that sets it (from the
// working directory when it comes from the environment or the built-in
// config); empty, a "keys" directory beside the database, so that the keys
// go wherever the data goes.
func (c Config) KeyDir() string {
	dir := c.Issuer.KeyDir
	switch {
	case dir == "":
		return filepath.Join(filepath.Dir(c.Storage.Path), "keys")
	case filepath.IsAbs(dir):
		return dir
	}
	if o, ok := c.origins["issuer.key_dir"]; ok && o.line > 0 && o.name != builtinConfigName {
		return filepath.Join(filepath.Dir(o.name), dir)
	}
	return dir
}

// keyStore is where the signing keys are kept, for every process that
// uses this config.
func (a *App) keyStore() issuer.KeyStore { return issuer.NewKeyDir(a.Config.KeyDir()) }

// openKeys loads the signing keys and checks them against the awards in
// the database. New keys are made only for an instance without awards:
// keys made where awards exist would leave every one of them failing
// verification, so a key directory that lacks a key an award was signed
// with stops the start, naming the keys and how to get them back.
func (a *App) openKeys(ctx context.Context) (*issuer.KeyRing, error) {
	dir := a.Config.KeyDir()
	store := a.keyStore()
	used, anyAward, err := a.DB.SigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	keys, err := issuer.LoadKeyRing(ctx, store)
	switch {
	case errors.Is(err, issuer.ErrNoKeys) && !anyAward && len(used) == 0:
		keys, err = issuer.CreateKeyRing(ctx, store)
		if err == nil {
			a.Log.Info("created signing keys for a new instance", "dir", dir)
		}
		return keys, err
	case errors.Is(err, issuer.ErrNoKeys):
		return nil, a.missingKeys(dir, used, len(used))
	case err != nil:
		return nil, err
	}
	missing := map[string]string{}
	for id, award := range used {
		if !keys.HasKey(id) {
			missing[id] = award
		}
	}
	if len(missing) > 0 {
		return nil, a.missingKeys(dir, missing, len(used))
	}
	return keys, nil
}

// missingKeys is the error that stops a start without the keys awards
// need.
func (a *App) missingKeys(dir string, missing map[string]string, used int) error {
	ids := make([]string, 0, len(missing))
	for id := range missing {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var named []string
	for _, id := range ids {
		named = append(named, fmt.Sprintf("%s (first signed award %s)", id, missing[id]))
	}
	what := "the signing keys"
	if len(ids) > 0 {
		what = fmt.Sprintf("%d of the %d signing keys awards were signed with: %s", len(ids), used, strings.Join(named, ", "))
	}
	restore := fmt.Sprintf("tar -xzf BACKUP.tar.gz -C %s keys", filepath.Dir(dir))
	if filepath.Base(dir) != "keys" {
		restore = fmt.Sprintf("tar -xzf BACKUP.tar.gz keys && mv keys %s", dir)
	}
	return bot.Errorf(bot.EINVALID, "the key directory %s lacks %s. "+
		"badgebot makes no new keys while awards exist: every earlier award would fail verification. "+
		"Restore the keys from an archive of badgebot backup (%s) or set issuer.key_dir to where they are, then start again",
		dir, what, restore)
}
