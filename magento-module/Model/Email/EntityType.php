<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Email;

/**
 * The four sales documents Magento e-mails asynchronously, each with the cron job that sweeps it
 * (Magento_Sales etc/crontab.xml) and its table.
 */
enum EntityType: string
{
    case Order = 'order';
    case Invoice = 'invoice';
    case Shipment = 'shipment';
    case Creditmemo = 'creditmemo';

    /**
     * The Magento cron job that sends what is still pending: with stage 2 on it is the low-frequency sweeper.
     */
    public function sweeperJobCode(): string
    {
        return match ($this) {
            self::Order => 'sales_send_order_emails',
            self::Invoice => 'sales_send_order_invoice_emails',
            self::Shipment => 'sales_send_order_shipment_emails',
            self::Creditmemo => 'sales_send_order_creditmemo_emails',
        };
    }

    /**
     * @return list<string>
     */
    public static function sweeperJobCodes(): array
    {
        return array_map(static fn (self $t): string => $t->sweeperJobCode(), self::cases());
    }
}
