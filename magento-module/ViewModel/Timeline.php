<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\ViewModel;

use Magento\Framework\Stdlib\DateTime\TimezoneInterface;
use Magento\Framework\UrlInterface;
use Magento\Framework\View\Element\Block\ArgumentInterface;

/**
 * The timeline page's configuration for view/adminhtml/web/js/timeline.js: where its data comes from
 * (the cronkeeper/timeline/data proxy, never the service itself), where a run's page is, and the shop's
 * time zone for the axis.
 */
class Timeline implements ArgumentInterface
{
    /** Replaced by the component with a run id; kept URL-safe so the admin URL builder leaves it alone. */
    private const ID_PLACEHOLDER = '__RUN_ID__';
    public const REFRESH_SECONDS = 30;
    /** Jobs per page of the timeline: a screenful, and one fast request however many jobs the shop has. */
    public const PAGE_SIZE = 50;

    public function __construct(
        private readonly UrlInterface $urlBuilder,
        private readonly TimezoneInterface $timezone
    ) {
    }

    /**
     * @return array<string, mixed>
     */
    public function getComponentConfig(): array
    {
        $runUrl = $this->urlBuilder->getUrl('cronkeeper/run/view', ['id' => self::ID_PLACEHOLDER]);

        return [
            'dataUrl' => $this->urlBuilder->getUrl('cronkeeper/timeline/data'),
            'runUrl' => str_replace(self::ID_PLACEHOLDER, '{id}', $runUrl),
            'zoom' => '6h',
            'pageSize' => self::PAGE_SIZE,
            'refreshSeconds' => self::REFRESH_SECONDS,
            'timeZone' => (string)$this->timezone->getConfigTimezone(),
        ];
    }

    /**
     * The x-magento-init script body: JSON with <, > and & escaped, so it cannot close the script tag.
     */
    public function getInitJson(string $selector): string
    {
        return (string)json_encode(
            [$selector => ['Cronkeeper_Scheduler/js/timeline' => $this->getComponentConfig()]],
            JSON_THROW_ON_ERROR | JSON_HEX_TAG | JSON_HEX_AMP | JSON_UNESCAPED_SLASHES
        );
    }
}
