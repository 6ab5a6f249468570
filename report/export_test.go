package report

// Internals the external tests (package report_test) check directly.

// Downsample is downsample, for the merge tests.
var Downsample = downsample

// NumClasses is the number of error classes, for tests that draw a random class.
const NumClasses = numClasses

// MergeHistograms is mergeEncoded, for tests that merge encoded histograms.
var MergeHistograms = mergeEncoded

// Encode is encode, for tests that compare a histogram with its encoding.
var Encode = encode
