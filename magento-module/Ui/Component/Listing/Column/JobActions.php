<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Ui\Component\Listing\Column;

use Magento\Framework\UrlInterface;
use Magento\Framework\View\Element\UiComponent\ContextInterface;
use Magento\Framework\View\Element\UiComponentFactory;
use Magento\Ui\Component\Listing\Columns\Column;

/**
 * Row actions of the Schedules grid: edit the job, view its runs.
 */
class JobActions extends Column
{
    /**
     * @param array<string, mixed> $components
     * @param array<string, mixed> $data
     */
    public function __construct(
        ContextInterface $context,
        UiComponentFactory $uiComponentFactory,
        private readonly UrlInterface $urlBuilder,
        array $components = [],
        array $data = []
    ) {
        parent::__construct($context, $uiComponentFactory, $components, $data);
    }

    /**
     * @param array<string, mixed> $dataSource
     * @return array<string, mixed>
     */
    public function prepareDataSource(array $dataSource)
    {
        foreach ($dataSource['data']['items'] ?? [] as $i => $item) {
            if (!isset($item['code'])) {
                continue;
            }
            $code = (string)$item['code'];
            $dataSource['data']['items'][$i][$this->getData('name')] = [
                'edit' => [
                    'href' => $this->urlBuilder->getUrl('cronkeeper/job/edit', ['code' => $code]),
                    'label' => __('Edit'),
                ],
                'runs' => [
                    'href' => $this->urlBuilder->getUrl('cronkeeper/run/index', ['job_code' => $code]),
                    'label' => __('View Runs'),
                ],
            ];
        }
        return $dataSource;
    }
}
