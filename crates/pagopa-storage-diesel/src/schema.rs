//! The tables, as diesel sees them. One definition serves both backends: every column uses a
//! type SQLite and PostgreSQL share (text, 64-bit and 32-bit integers, booleans, bytes).

diesel::table! {
    entes (id) {
        id -> Text,
        document -> Text,
        updated_at_us -> BigInt,
        logo_format -> Nullable<Text>,
        logo -> Nullable<Binary>,
    }
}

diesel::table! {
    catalogue_services (ente, code) {
        ente -> Text,
        code -> Text,
        demand_service_id -> Nullable<Text>,
        active -> Bool,
        document -> Text,
    }
}

diesel::table! {
    positions (ente, iupd) {
        ente -> Text,
        iupd -> Text,
        debtor -> Nullable<Text>,
        status -> Text,
        version -> BigInt,
        created_at_us -> BigInt,
        updated_at_us -> BigInt,
        document -> Text,
        expires_on -> Nullable<Text>,
    }
}

diesel::table! {
    payment_options (ente, iuv) {
        ente -> Text,
        notice_number -> Text,
        iuv -> Text,
        iupd -> Text,
        amount_cents -> BigInt,
        due_date -> Text,
        instalment -> Nullable<Integer>,
        paid_receipt_id -> Nullable<Text>,
    }
}

diesel::table! {
    transfers (ente, iuv, transfer_id) {
        ente -> Text,
        iuv -> Text,
        transfer_id -> Integer,
        beneficiary -> Text,
        amount_cents -> BigInt,
        iban -> Nullable<Text>,
        category -> Text,
    }
}

diesel::table! {
    iuv_sequences (ente, aux_digit, code) {
        ente -> Text,
        aux_digit -> Integer,
        code -> Integer,
        last_base -> BigInt,
    }
}

diesel::table! {
    receipts (recipient, receipt_id) {
        recipient -> Text,
        receipt_id -> Text,
        ente -> Text,
        notice_number -> Text,
        iuv -> Text,
        debtor -> Nullable<Text>,
        amount_cents -> BigInt,
        disposition -> Text,
        needs_review -> Bool,
        paid_at_us -> BigInt,
        received_at_us -> BigInt,
        raw_message -> Nullable<Text>,
        document -> Text,
    }
}

diesel::table! {
    carts (id) {
        id -> Text,
        status -> Text,
        citizen -> Nullable<Text>,
        version -> BigInt,
        created_at_us -> BigInt,
        updated_at_us -> BigInt,
        document -> Text,
    }
}

diesel::table! {
    cart_items (cart_id, ente, notice_number) {
        cart_id -> Text,
        ente -> Text,
        notice_number -> Text,
    }
}

diesel::table! {
    cart_holds (ente, notice_number) {
        ente -> Text,
        notice_number -> Text,
        cart_id -> Text,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        dedup_key -> Text,
        ente -> Text,
        event -> Text,
        attempts -> Integer,
        available_at_us -> BigInt,
        created_at_us -> BigInt,
        lease_owner -> Nullable<Text>,
        lease_until_us -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        delivered_at_us -> Nullable<BigInt>,
        dead_at_us -> Nullable<BigInt>,
        retrying_since_us -> Nullable<BigInt>,
        feed_seq -> Nullable<BigInt>,
        position_key -> Nullable<Text>,
    }
}

diesel::table! {
    feed_counters (ente) {
        ente -> Text,
        last_seq -> BigInt,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at_us -> BigInt,
        entity -> Text,
        entity_key -> Text,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Nullable<Text>,
        actor -> Nullable<Text>,
        before_doc -> Nullable<Text>,
        after_doc -> Nullable<Text>,
    }
}

diesel::table! {
    quarantine (id) {
        id -> BigInt,
        received_at_us -> BigInt,
        peer -> Nullable<Text>,
        operation -> Nullable<Text>,
        ente -> Nullable<Text>,
        reason -> Text,
        raw -> Text,
        size -> Nullable<BigInt>,
        truncated -> Bool,
    }
}

diesel::table! {
    idempotency_keys (scope, key) {
        scope -> Text,
        key -> Text,
        fingerprint -> Text,
        status -> Nullable<Integer>,
        body -> Nullable<Text>,
        created_at_us -> BigInt,
    }
}

diesel::table! {
    imports (id) {
        id -> Text,
        ente -> Text,
        sha256 -> Text,
        dry_run -> Bool,
        status -> Text,
        worker -> Nullable<Text>,
        lease_until_us -> Nullable<BigInt>,
        created_at_us -> BigInt,
        document -> Text,
    }
}

diesel::table! {
    rec_flows (ente, psp, flow_id, revision) {
        ente -> Text,
        psp -> Text,
        flow_id -> Text,
        revision -> BigInt,
        is_current -> Bool,
        status -> Text,
        matched_status -> Text,
        regulation_date -> Text,
        lines_count -> BigInt,
        credit_id -> Nullable<BigInt>,
        summary -> Text,
        header -> Text,
    }
}

diesel::table! {
    rec_flow_lines (ente, psp, flow_id, revision, line_index) {
        ente -> Text,
        psp -> Text,
        flow_id -> Text,
        revision -> BigInt,
        line_index -> BigInt,
        is_current -> Bool,
        iuv -> Text,
        iur -> Text,
        transfer_id -> Nullable<Integer>,
        amount_cents -> BigInt,
        outcome -> Text,
        outcome_date -> Text,
        match_kind -> Nullable<Text>,
        receipt_id -> Nullable<Text>,
        receipt_cents -> Nullable<BigInt>,
    }
}

diesel::table! {
    rec_flow_documents (ente, psp, flow_id, revision, seq) {
        ente -> Text,
        psp -> Text,
        flow_id -> Text,
        revision -> BigInt,
        seq -> BigInt,
        part -> Text,
        media_type -> Text,
        body -> Text,
    }
}

diesel::table! {
    rec_statements (id) {
        id -> BigInt,
        ente -> Text,
        digest -> Text,
        summary -> Text,
        raw -> Text,
    }
}

diesel::table! {
    rec_credits (id) {
        id -> BigInt,
        statement -> BigInt,
        ente -> Text,
        reference_kind -> Text,
        reference_value -> Nullable<Text>,
        match_kind -> Text,
        matched -> Text,
        credit -> Text,
    }
}

diesel::table! {
    rec_anomalies (id) {
        id -> BigInt,
        ente -> Text,
        scope -> Text,
        code -> Text,
        akey -> Text,
        day -> Text,
        psp -> Nullable<Text>,
        amount_cents -> Nullable<BigInt>,
        links -> Text,
        detail -> Text,
        status -> Text,
        first_seen_us -> BigInt,
        last_seen_us -> BigInt,
        sync_gen -> BigInt,
        resolved_by -> Nullable<Text>,
        resolved_at_us -> Nullable<BigInt>,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    rec_fetch (ente) {
        ente -> Text,
        cursor_us -> Nullable<BigInt>,
        next_at_us -> BigInt,
        failures -> BigInt,
        last_error -> Nullable<Text>,
        last_success_us -> Nullable<BigInt>,
        lease_owner -> Nullable<Text>,
        lease_until_us -> Nullable<BigInt>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    rec_flows,
    rec_flow_lines,
    rec_flow_documents,
    rec_statements,
    rec_credits,
    rec_anomalies,
    rec_fetch,
    receipts,
);

diesel::allow_tables_to_appear_in_same_query!(
    imports,
    idempotency_keys,
    entes,
    catalogue_services,
    positions,
    payment_options,
    transfers,
    iuv_sequences,
    receipts,
    carts,
    cart_items,
    cart_holds,
    outbox,
    feed_counters,
    audit_log,
    quarantine,
);
