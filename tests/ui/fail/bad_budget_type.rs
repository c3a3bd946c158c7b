use lambda_test::lambda_test;

#[lambda_test(
    function = "probe",
    max_duration_ms = "100",
    max_memory_mb = 1.5,
    max_init_ms = 0,
    read_timeout_ms = -5
)]
async fn budgets() {}

fn main() {}
