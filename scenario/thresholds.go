package scenario

import "go.yaml.in/yaml/v3"

func (l *loader) thresholds(n *yaml.Node) {}
