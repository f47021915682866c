//! End-to-end tests of the Back-End Pagamenti. The tests live in `tests/tests/`; this library is
//! empty so that the package is a workspace member that Cargo builds and tests.
