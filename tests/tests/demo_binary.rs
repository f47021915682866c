//! Runs the real `pagopa-demo` binary and checks it walks every flow to its end.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

#[test]
fn the_demo_walks_every_flow_to_its_end() {
    // Cargo builds workspace binaries for integration tests of the same package only, so run it
    // through cargo; the target directory is shared, so this is a cheap incremental build.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["run", "--quiet", "-p", "pagopa-demo"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "demo failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("licenza-pesca"), "{stdout}");
    assert!(stdout.contains("paVerifyPaymentNotice -> 245,70 EUR"), "{stdout}");
    assert!(stdout.contains("paSendRTV2 -> settled (fault: None)"), "{stdout}");
    assert!(stdout.contains("repeated delivery: true, fault: None"), "{stdout}");
    assert!(
        stdout.contains("gestionale notified: 1 message(s) delivered"),
        "{stdout}"
    );
    assert!(stdout.contains("after the receipt the cart is paid"), "{stdout}");
}
