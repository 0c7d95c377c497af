//! Magento crontab.xml import.
