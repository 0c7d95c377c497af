<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\ViewModel;

use Cronkeeper\Scheduler\Model\Dashboard\DashboardData;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Magento\Framework\Stdlib\DateTime\TimezoneInterface;
use Magento\Framework\UrlInterface;
use Magento\Framework\View\Element\Block\ArgumentInterface;

/**
 * System > Cronkeeper > Dashboard, rendered server-side by view/adminhtml/templates/dashboard.phtml.
 * A service that is down, slow or refuses gives the page an error message, never a fatal error.
 */
class Dashboard implements ArgumentInterface
{
    private ?array $result = null;

    public function __construct(
        private readonly DashboardData $dashboardData,
        private readonly TimezoneInterface $timezone,
        private readonly UrlInterface $urlBuilder
    ) {
    }

    /**
     * @return array<string, mixed>|null what DashboardData::assemble() returns, null when it failed
     */
    public function getData(): ?array
    {
        return $this->load()['data'];
    }

    public function getError(): ?string
    {
        return $this->load()['error'];
    }

    public function getRunUrl(string $id): string
    {
        return $this->urlBuilder->getUrl('cronkeeper/run/view', ['id' => $id]);
    }

    public function getTimelineUrl(): string
    {
        return $this->urlBuilder->getUrl('cronkeeper/timeline');
    }

    public function getTimezone(): string
    {
        return (string)$this->timezone->getConfigTimezone();
    }

    /**
     * @return array{data: ?array<string, mixed>, error: ?string}
     */
    private function load(): array
    {
        if ($this->result === null) {
            try {
                $data = $this->dashboardData->assemble(new \DateTimeImmutable('now'), $this->getTimezone());
                $this->result = ['data' => $data, 'error' => null];
            } catch (GraphQlException $e) {
                $this->result = ['data' => null, 'error' => $e->getMessage()];
            }
        }
        return $this->result;
    }
}
