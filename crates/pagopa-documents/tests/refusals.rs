//! Notices are never printed for what cannot be paid from them: each case has its own error
//! and problem code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{TimeZone, Utc};
use pagopa_documents::{DocumentError, NoticeInput, OptionSelection, render_notice};
use pagopa_domain::{DebtPosition, OptionPayment, PositionStatus, StampRequest, TransferAccount, demo};
use support::position;

fn render(position: &DebtPosition, selection: OptionSelection<'_>) -> Result<Vec<u8>, DocumentError> {
    let ente = demo::comune();
    let mut input = NoticeInput::new(&ente, None, position);
    input.selection = selection;
    render_notice(&input)
}

fn paid(position: &mut DebtPosition, index: usize) {
    position.options[index].payment = Some(OptionPayment {
        receipt_id: "rcpt-1".parse().unwrap(),
        paid_at: Utc.with_ymd_and_hms(2026, 11, 2, 10, 0, 0).unwrap(),
        amount: position.options[index].amount,
    });
}

#[test]
fn positions_that_cannot_be_paid_are_refused() {
    for (status, code) in [
        (PositionStatus::Draft, "notice_position_draft"),
        (PositionStatus::Cancelled, "notice_position_cancelled"),
        (PositionStatus::Paid, "notice_position_paid"),
        (PositionStatus::Reported, "notice_position_paid"),
        (PositionStatus::Expired, "notice_position_expired"),
    ] {
        let mut tari = position(demo::tari());
        tari.status = status;
        let error = render(&tari, OptionSelection::Payable).unwrap_err();
        assert_eq!(error.code(), code, "{status:?}");
        assert!(error.is_unprintable());
    }
}

#[test]
fn an_option_already_paid_is_refused_and_left_out_of_the_whole_notice() {
    let mut imu = position(demo::imu_plan());
    paid(&mut imu, 1);
    imu.status = PositionStatus::PartiallyPaid;
    let first = imu.options[1].notice_number.clone();
    let error = render(&imu, OptionSelection::Only(&first)).unwrap_err();
    assert!(matches!(error, DocumentError::OptionAlreadyPaid(ref n) if *n == first));
    assert_eq!(error.code(), "notice_option_paid");
    // The single solution is no longer payable once an instalment is paid.
    let single = imu.options[0].notice_number.clone();
    let error = render(&imu, OptionSelection::Only(&single)).unwrap_err();
    assert_eq!(error.code(), "notice_instalments_started");
    // The whole notice prints the two instalments left.
    let options = pagopa_documents::printable_options(&imu, OptionSelection::Payable).unwrap();
    let numbers: Vec<_> = options.iter().map(|o| o.instalment.map(|i| i.number)).collect();
    assert_eq!(numbers, vec![Some(2), Some(3)]);
    assert!(render(&imu, OptionSelection::Payable).is_ok());
}

#[test]
fn stamp_only_options_are_refused() {
    let mut tari = position(demo::tari());
    let option = &mut tari.options[0];
    option.transfers.truncate(1);
    option.transfers[0].account = TransferAccount::Stamp(StampRequest {
        document_hash: "cXVlc3RvIMOoIHVuIGhhc2ggZGkgZXNlbXBpbyBkZWwgZG9jdW1lbnRvIQ=="
            .parse()
            .unwrap(),
        stamp_type: "01".parse().unwrap(),
        province: "BS".parse().unwrap(),
    });
    let notice = option.notice_number.clone();
    for selection in [OptionSelection::Payable, OptionSelection::Only(&notice)] {
        let error = render(&tari, selection).unwrap_err();
        assert_eq!(error.code(), "notice_stamp_only");
    }
}

#[test]
fn unknown_notices_and_plans_that_do_not_add_up_are_refused() {
    let tari = position(demo::tari());
    let other = demo::comune_notice(9_999_999);
    assert_eq!(
        render(&tari, OptionSelection::Only(&other)).unwrap_err().code(),
        "notice_unknown"
    );
    let mut imu = position(demo::imu_plan());
    imu.options[0].amount = "650.00".parse().unwrap();
    let error = render(&imu, OptionSelection::Payable).unwrap_err();
    assert_eq!(error.code(), "notice_instalments_do_not_add_up");
}

#[test]
fn one_option_alone_is_a_notice_of_its_own() {
    let imu = position(demo::imu_plan());
    let second = imu.options[2].notice_number.clone();
    let options = pagopa_documents::printable_options(&imu, OptionSelection::Only(&second)).unwrap();
    assert_eq!(options.len(), 1);
    assert!(
        render(&imu, OptionSelection::Only(&second))
            .unwrap()
            .starts_with(b"%PDF-")
    );
}
