package churn_test

import "strings"

type stringsBuilder = strings.Builder
