<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Ui\DataProvider;

use Cronkeeper\Scheduler\Api\ServiceClientInterface;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Cronkeeper\Scheduler\Model\Grid\GridRequestMapper;
use Magento\Framework\Api\Filter;
use Magento\Framework\Message\ManagerInterface;
use Magento\Ui\DataProvider\AbstractDataProvider;

/**
 * A listing data provider whose rows live in the cronkeeper service, not in MySQL.
 *
 * Magento's listing components call setLimit(), addOrder() and addFilter(); instead of touching a
 * collection they are recorded in the request shape GridRequestMapper reads, and getData() sends one
 * GraphQL query. When the service is down or refuses, the grid gets no rows and the admin an error
 * message: never a fatal error.
 */
abstract class AbstractServiceDataProvider extends AbstractDataProvider
{
    /** @var array<string, mixed> */
    private array $gridState = [];
    /** @var array{totalRecords: int, items: list<array<string, mixed>>}|null */
    private ?array $loaded = null;

    /**
     * @param array<string, mixed> $meta
     * @param array<string, mixed> $data
     */
    public function __construct(
        string $name,
        string $primaryFieldName,
        string $requestFieldName,
        private readonly ServiceClientInterface $client,
        private readonly ManagerInterface $messageManager,
        array $meta = [],
        array $data = []
    ) {
        parent::__construct($name, $primaryFieldName, $requestFieldName, $meta, $data);
    }

    abstract protected function mapper(): GridRequestMapper;

    abstract protected function query(): string;

    /** The connection's field in `data` (jobs, runs). */
    abstract protected function connectionField(): string;

    /**
     * @param array<string, mixed> $node
     * @return array<string, mixed> the grid row
     */
    abstract protected function toRow(array $node): array;

    /**
     * @inheritdoc
     */
    public function addFilter(Filter $filter)
    {
        $this->gridState = GridRequestMapper::withFilterCondition(
            $this->gridState,
            (string)$filter->getField(),
            (string)($filter->getConditionType() ?: 'eq'),
            $filter->getValue()
        );
        $this->loaded = null;
    }

    /**
     * An equality filter set by the page rather than the filter bar (see RunDataProvider's URL filters).
     */
    protected function presetFilter(string $column, string $value): void
    {
        $this->gridState = GridRequestMapper::withFilterCondition($this->gridState, $column, 'eq', $value);
        $this->loaded = null;
    }

    /**
     * @inheritdoc
     */
    public function addOrder($field, $direction)
    {
        $this->gridState['sorting'] = ['field' => (string)$field, 'direction' => (string)$direction];
        $this->loaded = null;
    }

    /**
     * @inheritdoc
     */
    public function setLimit($offset, $size)
    {
        // Magento passes the 1-based page number as $offset (see Magento\Ui\Component\Paging::prepare()).
        $this->gridState['paging'] = ['current' => (int)$offset, 'pageSize' => (int)$size];
        $this->loaded = null;
    }

    /**
     * @inheritdoc
     */
    public function addField($field, $alias = null)
    {
        // The GraphQL query selects its own fields.
    }

    /**
     * @inheritdoc
     */
    public function removeField($field, $isAlias = false)
    {
    }

    /**
     * @inheritdoc
     */
    public function removeAllFields()
    {
    }

    /**
     * @inheritdoc
     */
    public function getSearchResult()
    {
        return null;
    }

    /**
     * @return array{totalRecords: int, items: list<array<string, mixed>>}
     */
    public function getData()
    {
        if ($this->loaded !== null) {
            return $this->loaded;
        }
        $this->loaded = ['totalRecords' => 0, 'items' => []];
        try {
            $data = $this->client->execute($this->query(), $this->mapper()->map($this->gridState));
        } catch (GraphQlException $e) {
            $this->messageManager->addErrorMessage(__('Cronkeeper: %1', $e->getMessage()));
            return $this->loaded;
        }
        $connection = $data[$this->connectionField()] ?? [];
        $items = [];
        foreach (is_array($connection['nodes'] ?? null) ? $connection['nodes'] : [] as $node) {
            if (is_array($node)) {
                $items[] = $this->toRow($node);
            }
        }
        $this->loaded = ['totalRecords' => (int)($connection['totalCount'] ?? count($items)), 'items' => $items];

        return $this->loaded;
    }

    /**
     * @inheritdoc
     */
    public function count()
    {
        return count($this->getData()['items']);
    }

    /**
     * @inheritdoc
     */
    public function getAllIds()
    {
        return array_column($this->getData()['items'], $this->getPrimaryFieldName());
    }

    /**
     * @return array<string, mixed> the recorded grid state (for tests and debugging)
     */
    public function getGridState(): array
    {
        return $this->gridState;
    }
}
