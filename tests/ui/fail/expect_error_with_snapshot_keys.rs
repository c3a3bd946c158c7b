use lambda_test::lambda_test;

#[lambda_test(
    function = "probe",
    expect_error = "AccessDeniedException",
    snapshot = true,
    redact = ["x"],
    max_duration_ms = 100
)]
async fn refused_and_snapshotted() {}

#[lambda_test(function = "probe", expect_error = "Access Denied")]
async fn not_an_error_code() {}

fn main() {}
