//! Tests of the tree module, one file per concern.
