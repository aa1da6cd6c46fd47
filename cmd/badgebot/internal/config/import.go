package config

import "reflect"

// ImportConfig is the [import] table: how `badgebot import` maps what it
// reads to badges.
type ImportConfig struct {
	AllContributors AllContributorsMap `toml:"all_contributors"`
}

// AllContributorsMap is [import.all_contributors]: the badge slug for each
// all-contributors contribution type; a type left empty is not imported.
// The keys are the types of the all-contributors specification, so that a
// misspelt one is an unknown key.
type AllContributorsMap struct {
	A11y              string `toml:"a11y"`
	Audio             string `toml:"audio"`
	Blog              string `toml:"blog"`
	Bug               string `toml:"bug"`
	Business          string `toml:"business"`
	Code              string `toml:"code"`
	Content           string `toml:"content"`
	Data              string `toml:"data"`
	Design            string `toml:"design"`
	Doc               string `toml:"doc"`
	EventOrganizing   string `toml:"eventOrganizing"`
	Example           string `toml:"example"`
	Financial         string `toml:"financial"`
	FundingFinding    string `toml:"fundingFinding"`
	Ideas             string `toml:"ideas"`
	Infra             string `toml:"infra"`
	Maintenance       string `toml:"maintenance"`
	Mentoring         string `toml:"mentoring"`
	Platform          string `toml:"platform"`
	Plugin            string `toml:"plugin"`
	ProjectManagement string `toml:"projectManagement"`
	Promotion         string `toml:"promotion"`
	Question          string `toml:"question"`
	Research          string `toml:"research"`
	Review            string `toml:"review"`
	Security          string `toml:"security"`
	Talk              string `toml:"talk"`
	Test              string `toml:"test"`
	Tool              string `toml:"tool"`
	Translation       string `toml:"translation"`
	Tutorial          string `toml:"tutorial"`
	UserTesting       string `toml:"userTesting"`
	Video             string `toml:"video"`
}

// Mapping returns the type → slug pairs that are set.
func (m AllContributorsMap) Mapping() map[string]string {
	out := map[string]string{}
	v, t := reflect.ValueOf(m), reflect.TypeOf(m)
	for i := range t.NumField() {
		if slug := v.Field(i).String(); slug != "" {
			out[cfgTag(t.Field(i))] = slug
		}
	}
	return out
}

// ContributionTypes lists the all-contributors types.
func ContributionTypes() []string {
	var out []string
	t := reflect.TypeFor[AllContributorsMap]()
	for i := range t.NumField() {
		out = append(out, cfgTag(t.Field(i)))
	}
	return out
}
