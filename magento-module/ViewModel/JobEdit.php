<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\ViewModel;

use Cronkeeper\Scheduler\Model\Job\JobEditor;
use Magento\Framework\App\Request\DataPersistorInterface;
use Magento\Framework\App\RequestInterface;
use Magento\Framework\UrlInterface;
use Magento\Framework\View\Element\Block\ArgumentInterface;

/**
 * The job edit form (view/adminhtml/templates/job/edit.phtml): the job, its lanes, the values to show
 * (what the admin typed, after a refused save) and where to post.
 */
class JobEdit implements ArgumentInterface
{
    use LoadsOnce;

    /** DataPersistor key under which Job/Save keeps a refused form. */
    public const PERSISTED_FORM = 'cronkeeper_job_form';

    public function __construct(
        private readonly JobEditor $editor,
        private readonly RequestInterface $request,
        private readonly UrlInterface $url,
        private readonly DataPersistorInterface $dataPersistor
    ) {
    }

    public function getCode(): string
    {
        return trim((string)$this->request->getParam('code'));
    }

    /**
     * @return array{job: array<string, mixed>|null, lanes: list<string>, error: ?string}
     */
    public function getPage(): array
    {
        return $this->loadOnce(function (): array {
            $page = $this->editor->load($this->getCode());
            return $page + ['error' => $page['job'] === null
                ? (string)__('There is no job "%1" in cronkeeper.', $this->getCode())
                : null];
        }, ['job' => null, 'lanes' => []]);
    }

    /**
     * The values to show: those of a refused save if there is one (once), else the job's.
     *
     * @return array<string, string>
     */
    public function getFormValues(): array
    {
        $job = $this->getPage()['job'];
        $values = $job !== null ? JobEditor::toForm($job) : [];
        $persisted = $this->dataPersistor->get(self::PERSISTED_FORM);
        if (is_array($persisted) && ($persisted['code'] ?? null) === $this->getCode()) {
            $this->dataPersistor->clear(self::PERSISTED_FORM);
            foreach (array_keys($values) as $field) {
                if (isset($persisted[$field]) && is_scalar($persisted[$field])) {
                    $values[$field] = (string)$persisted[$field];
                }
            }
        }
        return $values;
    }

    /**
     * @return list<string>
     */
    public function getConcurrencyPolicies(): array
    {
        return JobEditor::CONCURRENCY_POLICIES;
    }

    public function getSaveUrl(): string
    {
        return $this->url->getUrl('cronkeeper/job/save', ['code' => $this->getCode()]);
    }

    public function getBackUrl(): string
    {
        return $this->url->getUrl('cronkeeper/job/index');
    }

    public function getRunsUrl(): string
    {
        return $this->url->getUrl('cronkeeper/run/index', ['job_code' => $this->getCode()]);
    }
}
