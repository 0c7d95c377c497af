<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Ui\Component\Listing\Column;

use Magento\Framework\UrlInterface;
use Magento\Framework\View\Element\UiComponent\ContextInterface;
use Magento\Framework\View\Element\UiComponentFactory;
use Magento\Ui\Component\Listing\Columns\Column;

/**
 * A grid's row-actions column: each subclass says which links a row gets;
 * this class writes them into the column of every row.
 */
abstract class RowActions extends Column
{
    /**
     * @param array<string, mixed> $components
     * @param array<string, mixed> $data
     */
    public function __construct(
        ContextInterface $context,
        UiComponentFactory $uiComponentFactory,
        protected readonly UrlInterface $urlBuilder,
        array $components = [],
        array $data = []
    ) {
        parent::__construct($context, $uiComponentFactory, $components, $data);
    }

    /**
     * The row's actions (key => [href, label]), or null when the row has none.
     *
     * @param array<string, mixed> $item
     * @return array<string, array{href: string, label: mixed}>|null
     */
    abstract protected function actionsFor(array $item): ?array;

    /**
     * @param array<string, mixed> $dataSource
     * @return array<string, mixed>
     */
    public function prepareDataSource(array $dataSource)
    {
        foreach ($dataSource['data']['items'] ?? [] as $i => $item) {
            $actions = $this->actionsFor($item);
            if ($actions !== null) {
                $dataSource['data']['items'][$i][$this->getData('name')] = $actions;
            }
        }
        return $dataSource;
    }
}
