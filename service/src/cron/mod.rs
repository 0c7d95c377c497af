//! Magento-compatible cron expressions.
